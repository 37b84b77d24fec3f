// Drives a real VS Code (code-server) in Debian's chromium with playwright-core.
// Used by infill.e2e.test.mjs; the tools come from scripts/setup-e2e.sh.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoDir = path.resolve(clientDir, '..');
export const artifactsDir = path.join(clientDir, 'test-artifacts');
const toolsDir = process.env.INFILL_E2E_TOOLS || path.join(clientDir, '.cache', 'e2e-tools');

/** Paths of node 24, code-server and chromium, written by scripts/setup-e2e.sh. */
export function tools() {
  const envFile = path.join(toolsDir, 'env.json');
  if (!fs.existsSync(envFile)) {
    throw new Error(`${envFile} is missing: run "bash client-vscode/scripts/setup-e2e.sh" first`);
  }
  return JSON.parse(fs.readFileSync(envFile, 'utf8'));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns a truthy value; after `timeoutMs` throws, naming `message`
 * (a string, or a function called then, to describe the state at the time of failure).
 */
export async function waitFor(check, { timeoutMs = 30_000, intervalMs = 250, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const what = typeof message === 'function' ? await message() : message;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

// Settings for every test window: nothing that pops up, types for us or talks to the network.
const USER_SETTINGS = {
  'files.autoSave': 'off',
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'editor.minimap.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'editor.inlineSuggest.enabled': true,
  // No suggest widget (it would take the Tab meant for the ghost text), no auto-closing.
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.hover.delay': 100,
  'git.enabled': false,
  'python.languageServer': 'None',
};

/**
 * One code-server process with the packaged extension installed, all its state under
 * `root` (nothing written elsewhere: XDG dirs point there too).
 */
export class CodeServer {
  constructor(root) {
    this.root = root;
    this.userDataDir = path.join(root, 'user-data');
    this.extensionsDir = path.join(root, 'extensions');
    this.logFile = path.join(root, 'code-server.log');
    this.process = undefined;
    this.port = undefined;
  }

  env() {
    return {
      ...process.env,
      XDG_CONFIG_HOME: path.join(this.root, 'xdg-config'),
      XDG_DATA_HOME: path.join(this.root, 'xdg-data'),
      XDG_CACHE_HOME: path.join(this.root, 'xdg-cache'),
      // No marketplace: a dead loopback address.
      EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/items' }),
    };
  }

  commandLine() {
    const { node24, codeServer } = tools();
    return [node24, path.join(codeServer, 'out', 'node', 'entry.js')];
  }

  installExtension(vsix) {
    const [node, entry] = this.commandLine();
    execFileSync(node, [entry, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, '--install-extension', vsix], {
      env: this.env(),
      stdio: 'pipe',
    });
  }

  async start() {
    fs.mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    fs.writeFileSync(path.join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
    this.port = await freePort();
    const [node, entry] = this.commandLine();
    const log = fs.openSync(this.logFile, 'a');
    this.process = spawn(
      node,
      [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${this.port}`, '--disable-telemetry', '--disable-update-check',
        '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', this.userDataDir,
        '--extensions-dir', this.extensionsDir, '--reconnection-grace-time', '5'],
      { env: this.env(), stdio: ['ignore', log, log] },
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok, { timeoutMs: 60_000, message: 'code-server to answer' });
  }

  url(folder) {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(folder)}`;
  }

  /** Text of every log file VS Code wrote (the extension's output channel is among them). */
  logs() {
    const texts = [];
    const walk = (dir) => {
      for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.log')) texts.push(fs.readFileSync(full, 'utf8'));
      }
    };
    walk(path.join(this.userDataDir, 'logs'));
    return texts.join('\n');
  }

  /** The log of the Infill output channel (server stderr, traced messages) of all windows. */
  infillLog() {
    const texts = [];
    const walk = (dir) => {
      for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/Infill\.log$/.test(entry.name)) texts.push(fs.readFileSync(full, 'utf8'));
      }
    };
    walk(path.join(this.userDataDir, 'logs'));
    return texts.join('\n');
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      this.process.kill('SIGTERM');
      await Promise.race([new Promise((resolve) => this.process.once('exit', resolve)), sleep(5000)]);
      if (this.process.exitCode === null) this.process.kill('SIGKILL');
    }
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: tools().chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** One VS Code window (a browser page) on a workspace folder, with helpers to drive it. */
export class Workbench {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    this.shot = 0;
  }

  static async open(browser, codeServer, folder, name) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(codeServer.url(folder));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar').waitFor({ timeout: 60_000 });
    return new Workbench(page, name);
  }

  async screenshot(label) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    await sleep(300); // let notifications and hovers finish their fade-in
    const file = path.join(artifactsDir, `${this.name}-${String(++this.shot).padStart(2, '0')}-${label}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The aria-label of the Infill status bar item ("Infill: ready", "Infill: error — ..."). */
  async infillStatus() {
    const item = this.page.locator('.statusbar [aria-label^="Infill: "]').first();
    return (await item.count()) ? item.getAttribute('aria-label') : undefined;
  }

  async waitForStatus(pattern, timeoutMs = 60_000) {
    return waitFor(async () => {
      const status = await this.infillStatus();
      return status && pattern.test(status) ? status : undefined;
    }, { timeoutMs, message: async () => `the Infill status bar item to match ${pattern} (now: ${await this.infillStatus()})` });
  }

  /** Runs a palette command by its title, e.g. "Infill: Explain Selection". */
  async runCommand(title) {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: 10_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  async openFile(name) {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tab.active[aria-label^="${name}"]`).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
    await this.page.locator('.monaco-editor .view-lines').first().waitFor();
    await this.page.locator('.monaco-editor textarea, .monaco-editor .native-edit-context').first().focus();
  }

  /** Puts the cursor at a 1-based line and column with "Go to Line/Column". */
  async goTo(line, column = 1) {
    // Focus the text editor first (a click in a webview panel keeps the keys otherwise).
    await this.page.locator('.monaco-editor .view-lines').first().click();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** Text of the notification toasts now shown. */
  async notifications() {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  async waitForNotification(pattern, timeoutMs = 30_000) {
    return waitFor(async () => (await this.notifications()).find((text) => pattern.test(text)), {
      timeoutMs,
      message: async () => `a notification matching ${pattern} (now: ${JSON.stringify(await this.notifications())})`,
    });
  }

  /** The frame of a webview whose document has `selector`, when there is one. */
  async webviewFrame(selector) {
    for (const frame of this.page.frames()) {
      try {
        if (await frame.locator(selector).count()) return frame;
      } catch {
        // a frame that went away meanwhile
      }
    }
    return undefined;
  }

  async close() {
    await this.page.context().close();
  }
}
