"""Where the multi-language corpus comes from, and under which licence each file is.

Three kinds of source, all fetched from package registries with their ordinary clients and
cached in models/train/.cache/ (ignored by git):

  * Python: the standard library (PSF-2.0) and every distribution installed in the virtual
    environment whose metadata declares a permissive licence;
  * npm: the packages in client-vscode/node_modules and NPM_PACKAGES (`npm pack`); the
    licence is package.json's "license";
  * Debian: binary packages that ship source code (DEB_PACKAGES, `apt-get download`, unpacked
    with `dpkg-deb -x`); the licence of each file comes from the package's machine-readable
    copyright file (debian/copyright, DEP-5: the last "Files:" pattern that matches wins),
    or the package's single licence where that file is not machine-readable.

Licence policy: permissive licences only (PERMISSIVE below: MIT, BSD, Apache-2.0, PSF, ISC,
Zlib, Boost, Unlicense, CC0, public domain). Excluded: every GPL and LGPL variant, MPL-2.0
(file-level copyleft: a model that reproduces a fragment of an MPL file would owe that file's
source terms, which a training corpus cannot honour per file), GPL-2.0 with the Classpath
exception (OpenJDK's class library, so Java comes from the JDK's demos, which are BSD-3-Clause,
and from Android sources in npm packages), and any licence we cannot classify. A file whose
own header names a copyleft licence is dropped whatever its package says (build_corpus.py).
"""

from __future__ import annotations

import fnmatch
import importlib.metadata as md
import json
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# Fetched with `npm pack NAME@VERSION`: packages that ship hand-written sources (TypeScript
# src/, Java for Android, C++), pinned so that a rebuild finds the same files.
NPM_PACKAGES = [
    "rxjs@7.8.2",  # Apache-2.0, TypeScript sources in src/
    "zod@4.6.7",  # MIT, TypeScript sources
    "immer@11.2.13",  # MIT, TypeScript sources
    "react-native@0.86.3",  # MIT: Flow/TypeScript, Java (ReactAndroid), C++ (ReactCommon)
    "cordova-android@15.1.0",  # Apache-2.0: Java
    "@capacitor/android@8.5.2",  # MIT: Java
    "effect@4.1.0",  # MIT, TypeScript sources in src/
    "@tanstack/query-core@5.108.4",  # MIT, TypeScript sources
    "mobx@7.1.3",  # MIT, TypeScript sources
    "three@0.187.0",  # MIT, JavaScript sources in src/
]


@dataclass(frozen=True)
class DebPackage:
    """A Debian package that ships source code."""

    tree: str  # the upstream tree inside the package: a directory, or a glob of archives to unpack
    keep: tuple[str, ...] = ("",)  # sub-directories of the tree to read
    header_lang: str = "c"  # the language of its .h files
    licence: str | None = None  # the licence, when not read from its DEP-5 copyright file
    must_contain: str | None = None  # text that each file's header must contain (checks `licence`)


DEB_PACKAGES = {
    "golang-1.19-src": DebPackage("usr/share/go-1.19", ("src",)),
    "rust-src": DebPackage(
        "usr/src/rustc-1.63.0", ("library", "compiler", "src/tools", "src/librustdoc", "src/bootstrap")
    ),
    # X.Org's copyright file is not machine-readable; it states the MIT/X11 licence.
    "xorg-server-source": DebPackage("usr/src/xorg-server.tar.xz", licence="MIT"),
    "openvswitch-source": DebPackage("usr/src/openvswitch/openvswitch.tar.gz"),
    "pocl-source": DebPackage("usr/src/pocl.tar.xz"),
    "googletest": DebPackage("usr/src/googletest", header_lang="cpp"),
    "libabsl-dev": DebPackage("usr/include", ("absl",), header_lang="cpp"),
    # The JDK's demos are BSD-3-Clause (each file says so), unlike the JDK's class library.
    "openjdk-17-demo": DebPackage(
        "usr/share/doc/openjdk-17-jre-headless/demo/jfc/*/src.zip",
        licence="BSD-3-Clause",
        must_contain="Redistribution and use in source and binary forms",
    ),
}

LANG_OF_EXT = {
    ".py": "python",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".go": "go", ".rs": "rust", ".java": "java",
    ".c": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
}  # fmt: skip
# Directories never read: tests and their data, build output, and vendored or third-party
# code (whose licence is not the package's).
SKIP_DIRS = {
    "test", "tests", "testdata", "testing", "__tests__", "fixtures", "test-data", "node_modules", "dist", "build",
    "out", "bundles", "__pycache__", ".git", "vendor", "_vendor", "vendored", "third_party", "third-party",
    "thirdparty", "external", "externals", "deps", "site-packages", "debian", "benches", "examples-generated",
}  # fmt: skip
# Standard-library directories that are GUI, data or bundled tools rather than everyday code
# (as in prepare_data.py).
STDLIB_SKIP = {"idlelib", "lib2to3", "turtledemo", "tkinter", "ensurepip", "pydoc_data", "encodings",
               "config-3.11-x86_64-linux-gnu"}  # fmt: skip
# Our own distributions are not training data.
OWN_DISTRIBUTIONS = {"infill", "infill-lsp"}

# Licence names (SPDX, Debian's short names, package metadata) that are permissive.
PERMISSIVE = {
    "mit", "expat", "x11", "mit-0", "mit-cmu", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-c3", "0bsd", "freebsd",
    "apache-2.0", "apache 2.0", "apache", "apache-2", "psf-2.0", "psf", "python-2.0", "isc", "isc-license",
    "zlib", "boost-1.0", "bsl-1.0", "unlicense", "cc0-1.0", "public-domain", "go", "hpnd", "llvm-exception",
    "blueoak-1.0.0", "cnri-python",
}  # fmt: skip
CLASSIFIER_LICENCE = {
    "MIT License": "MIT", "BSD License": "BSD", "Apache Software License": "Apache-2.0",
    "Python Software Foundation License": "PSF-2.0", "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0", "The Unlicense (Unlicense)": "Unlicense",
}  # fmt: skip


def is_permissive(expr: str) -> bool:
    """Whether a licence expression (SPDX or Debian style: "A or B", "A AND B", "A WITH
    exception", parentheses) allows use under permissive terms: some alternative of an OR,
    every part of an AND."""
    expr = re.sub(r"\s+", " ", expr.strip().strip("()")).lower()
    if not expr:
        return False
    if " or " in expr:
        return any(is_permissive(p) for p in expr.split(" or "))
    if " and " in expr:
        return all(is_permissive(p) for p in expr.split(" and "))
    if " with " in expr:  # an exception only adds permissions; the base licence decides
        return is_permissive(expr.split(" with ")[0]) and "classpath" not in expr
    # Free-text names from package metadata: "MIT License", "Apache 2.0 License", "3-Clause BSD License".
    name = re.sub(r"\s*\blicen[cs]e\b\s*", " ", expr.strip("() ")).strip()
    name = re.sub(r"^([23])-clause bsd$", r"bsd-\1-clause", name)
    return name in PERMISSIVE


@dataclass
class Source:
    """One package: its files and the licence of each."""

    name: str  # e.g. "stdlib", "pypi:numpy", "npm:rxjs", "deb:rust-src"
    version: str
    licence: str  # the package's declared licence
    root: Path
    files: list[Path] = field(default_factory=list)
    header_lang: str = "c"  # the language of .h files
    must_contain: str | None = None  # see DebPackage
    per_file: object = None  # callable rel-path -> licence (DEP-5), or None: the package licence
    heldout_paths: set[str] = field(default_factory=set)  # paths (relative to root) held out

    def licence_of(self, rel: str) -> str:
        return self.per_file(rel) if self.per_file else self.licence


def lang_of(path: Path, header_lang: str) -> str | None:
    if path.name.endswith((".d.cts", ".d.mts", ".min.js")):
        return None
    if path.suffix == ".h":
        return header_lang
    return LANG_OF_EXT.get(path.suffix)


def walk(root: Path, keep_dirs: list[str] | None = None) -> list[Path]:
    """Source files under root (only in keep_dirs when given), outside SKIP_DIRS."""
    out = []
    for sub in keep_dirs or [""]:
        base = root / sub
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and (p.suffix in LANG_OF_EXT or p.suffix == ".h"):
                rel_dirs = p.relative_to(root).parts[:-1]
                if not any(d in SKIP_DIRS or d.startswith(".") for d in rel_dirs):
                    out.append(p)
    return out


# --- Python -------------------------------------------------------------------------------


def python_licence(dist: md.Distribution) -> str:
    """The SPDX-like licence of an installed distribution: License-Expression, else the
    classifiers, else a short License field."""
    meta = dist.metadata
    if meta.get("License-Expression"):
        return meta["License-Expression"]
    names = [c.split("::")[-1].strip() for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    mapped = [CLASSIFIER_LICENCE.get(n, n) for n in names if n != "OSI Approved"]
    if mapped:
        return " AND ".join(mapped)
    text = (meta.get("License") or "").strip()
    return text if len(text) < 40 else "unknown (licence text in metadata)"


def python_sources(heldout: list[str]) -> tuple[list[Source], list[dict]]:
    """The standard library and the permissive distributions of this environment."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [
        f for f in walk(stdlib)
        if f.suffix == ".py" and f.relative_to(stdlib).parts[0] not in STDLIB_SKIP
    ]  # fmt: skip
    # The held-out files are walked too, so that they land in the held-out split.
    sources = [Source("stdlib", sys.version.split()[0], "PSF-2.0", stdlib, files, heldout_paths=set(heldout))]
    excluded = []
    purelib = Path(sysconfig.get_paths()["purelib"])
    for dist in sorted(md.distributions(), key=lambda d: d.metadata["Name"].lower()):
        name = dist.metadata["Name"]
        if name.lower() in OWN_DISTRIBUTIONS:
            continue
        lic = python_licence(dist)
        if not is_permissive(lic):
            excluded.append({"source": f"pypi:{name}", "licence": lic})
            continue
        paths = []
        for f in dist.files or []:
            p = Path(dist.locate_file(f)).resolve()
            if p.suffix == ".py" and p.is_file() and purelib in p.parents:
                rel_dirs = p.relative_to(purelib).parts[:-1]
                if not any(d in SKIP_DIRS for d in rel_dirs):
                    paths.append(p)
        if paths:
            sources.append(Source(f"pypi:{name}", dist.version, lic, purelib, sorted(paths)))
    return sources, excluded


# --- npm ----------------------------------------------------------------------------------


def npm_licence(pkg: dict) -> str:
    lic = pkg.get("license") or pkg.get("licenses") or ""
    if isinstance(lic, dict):
        lic = lic.get("type", "")
    if isinstance(lic, list):
        lic = " OR ".join(x.get("type", "") if isinstance(x, dict) else str(x) for x in lic)
    return str(lic)


def npm_package_dirs(node_modules: Path) -> list[Path]:
    """Every package directory (scoped and nested ones too) under a node_modules folder."""
    out = []
    for pj in sorted(node_modules.rglob("package.json")):
        d = pj.parent
        scoped = d.parent.name.startswith("@") and d.parent.parent.name == "node_modules"
        if d.parent.name == "node_modules" or scoped:
            out.append(d)
    return out


def npm_source(pkg_dir: Path, excluded: list[dict]) -> Source | None:
    try:
        pkg = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name, lic = pkg.get("name") or pkg_dir.name, npm_licence(pkg)
    if not is_permissive(lic):
        excluded.append({"source": f"npm:{name}", "licence": lic or "none declared"})
        return None
    files = [f for f in walk(pkg_dir) if lang_of(f, "cpp")]
    return Source(f"npm:{name}", str(pkg.get("version", "")), lic, pkg_dir, files, header_lang="cpp") if files else None


def fetch_npm(cache: Path, log) -> list[Path]:
    """`npm pack` each pinned package into the cache (once) and unpack it; returns the
    package directories."""
    dest, src = cache / "npm", cache / "src"
    dest.mkdir(parents=True, exist_ok=True)
    dirs = []
    for spec in NPM_PACKAGES:
        name, version = spec.rsplit("@", 1)
        tgz = dest / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
        if not tgz.exists():
            try:
                subprocess.run(
                    ["npm", "pack", spec, "--pack-destination", str(dest)], check=True, timeout=300, capture_output=True
                )
            except (OSError, subprocess.SubprocessError) as e:
                log(f"npm pack {spec} failed ({e}); continuing without it")
                continue
        out = src / tgz.stem
        if not (out / "package").is_dir():
            out.mkdir(parents=True, exist_ok=True)
            with tarfile.open(tgz) as t:
                extract(t, out)
        dirs.append(out / "package")
    return dirs


# --- Debian -------------------------------------------------------------------------------


def parse_dep5(text: str) -> list[tuple[list[str], str]] | None:
    """(file patterns, licence) of each "Files:" stanza of a machine-readable Debian copyright
    file, in order; None when the file is not in that format."""
    if not text.startswith("Format:"):
        return None
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                if key == "Files":  # more patterns; a License's further lines are its text
                    fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Files" in fields and "License" in fields:
            stanzas.append((fields["Files"].split(), fields["License"]))
    return stanzas


def dep5_lookup(stanzas: list[tuple[list[str], str]], prefix: str = ""):
    def licence(rel: str) -> str:
        rel = prefix + rel
        found = "unknown (no copyright stanza)"
        for patterns, lic in stanzas:  # the last matching stanza wins (DEP-5)
            if any(fnmatch.fnmatchcase(rel, p) for p in patterns):
                found = lic
        return found

    return licence


def extract(archive, dest: Path) -> None:
    """Unpack a tar or zip archive without letting a member escape dest."""
    if isinstance(archive, tarfile.TarFile):
        try:
            archive.extractall(dest, filter="data")
        except TypeError:  # Python without extraction filters
            archive.extractall(dest)
    else:
        archive.extractall(dest)


def fetch_deb(cache: Path, log) -> list[Source]:
    """`apt-get download` each package (once), unpack it with `dpkg-deb -x` and its inner
    archive if any; returns one Source per package."""
    debs, src = cache / "deb", cache / "src"
    debs.mkdir(parents=True, exist_ok=True)
    sources = []
    for pkg, spec in DEB_PACKAGES.items():
        found = sorted(debs.glob(f"{pkg}_*.deb"))
        if not found:
            try:
                subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True, timeout=300, capture_output=True)
            except (OSError, subprocess.SubprocessError) as e:
                log(f"apt-get download {pkg} failed ({e}); continuing without it")
                continue
            found = sorted(debs.glob(f"{pkg}_*.deb"))
        deb = found[-1]
        version = deb.stem.split("_")[1].replace("%3a", ":")
        out = src / f"deb-{pkg}"
        archived = spec.tree.endswith((".tar.xz", ".tar.gz", ".zip"))
        if not (out / ".unpacked").exists():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=True, timeout=300)
            for archive in sorted(out.glob(spec.tree)) if archived else []:
                # zip: one archive per demo, each unpacked into a folder of its own
                tree = out / "tree" / archive.parent.name if archive.suffix == ".zip" else out / "tree"
                tree.mkdir(parents=True, exist_ok=True)
                with zipfile.ZipFile(archive) if archive.suffix == ".zip" else tarfile.open(archive) as a:
                    extract(a, tree)
            (out / ".unpacked").touch()
        root = out / spec.tree
        if archived:
            tops = [d for d in (out / "tree").iterdir() if d.is_dir()]
            # a tarball holds one top folder (its name is not part of the DEP-5 paths)
            root = tops[0] if len(tops) == 1 and archive_is_tar(spec.tree) else out / "tree"
        per_file = None
        main = spec.licence
        if spec.licence is None:
            copyright_file = out / "usr" / "share" / "doc" / pkg / "copyright"
            text = copyright_file.read_text(encoding="utf-8", errors="replace") if copyright_file.exists() else ""
            stanzas = parse_dep5(text)
            if not stanzas:
                log(f"{pkg}: no machine-readable copyright file and no licence given; skipped")
                continue
            per_file, main = dep5_lookup(stanzas), stanzas[0][1]
        files = [f for f in walk(root, list(spec.keep)) if lang_of(f, spec.header_lang)]
        if pkg.startswith("golang-"):
            files = [f for f in files if not f.name.endswith("_test.go")]
        sources.append(
            Source(
                f"deb:{pkg}",
                version,
                main,
                root,
                files,
                header_lang=spec.header_lang,
                must_contain=spec.must_contain,
                per_file=per_file,
            )
        )
    return sources


def archive_is_tar(name: str) -> bool:
    return name.endswith((".tar.xz", ".tar.gz"))
