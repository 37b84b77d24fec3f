// End-to-end tests of the Infill extension in a real VS Code (code-server 4.139.1 in
// Debian's chromium, driven by playwright-core), against the real language server
// (`python -m lsp_server serve`) and a real GGUF model with random weights.
//
// Run: npm run test:e2e (packages the .vsix first). Needs scripts/setup-e2e.sh once.
// Environment: INFILL_PYTHON (default <repo>/.venv/bin/python), INFILL_TEST_MODEL and
// INFILL_TEST_CHAT_MODEL (default: built by models/build_test_model.py; the chat model carries a
// chat template and explains). Screenshots: client-vscode/test-artifacts/.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serveFile } from './fileServer.mjs';
import { CodeServer, Workbench, artifactsDir, clientDir, launchBrowser, repoDir, sleep, waitFor } from './harness.mjs';

const runDir = path.join(clientDir, '.cache', 'e2e-run');
const python = process.env.INFILL_PYTHON || [path.join(repoDir, '.venv', 'bin', 'python')].find(fs.existsSync) || 'python3';
const vsix = path.join(clientDir, 'infill.vsix');
let codeServer;
let browser;
let model;
let chatModel;

/** A copy of test/e2e/workspace with these workspace settings. */
function makeWorkspace(name, settings) {
  const folder = path.join(runDir, `ws-${name}`);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.cpSync(path.join(clientDir, 'test', 'e2e', 'workspace'), folder, { recursive: true });
  fs.mkdirSync(path.join(folder, '.vscode'));
  fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  return folder;
}

// INFILL_E2E_STANDIN=1 swaps in test/fixtures/standin_server.py (canned answers) to work on
// the extension alone; the real runs (and .ci/run) use the real server.
const standin = process.env.INFILL_E2E_STANDIN === '1';
const serverCommand = standin
  ? [python, path.join(clientDir, 'test', 'fixtures', 'standin_server.py')]
  : [python, '-m', 'lsp_server', 'serve'];
const realServer = () => ({ 'infill.serverCommand': serverCommand, 'infill.model.path': model, 'infill.model.nCtx': 2048 });
// With an explain model: one with a chat template, wide enough that an explanation takes seconds.
const withExplainModel = () => ({ ...realServer(), 'infill.explain.model': chatModel });

before(async () => {
  assert.ok(fs.existsSync(vsix), `${vsix} is missing: run "npm run package" (npm run test:e2e does)`);
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  fs.rmSync(artifactsDir, { recursive: true, force: true });
  model = process.env.INFILL_TEST_MODEL;
  if (!model) {
    model = path.join(runDir, 'test-model.gguf');
    execFileSync(python, [path.join(repoDir, 'models', 'build_test_model.py'), model], { stdio: 'inherit' });
  }
  chatModel = process.env.INFILL_TEST_CHAT_MODEL;
  if (!chatModel) {
    chatModel = path.join(runDir, 'test-chat-model.gguf');
    const wide = ['--chatml', '--embd', '512', '--layers', '2', '--ffn', '512'];
    execFileSync(python, [path.join(repoDir, 'models', 'build_test_model.py'), chatModel, ...wide], { stdio: 'inherit' });
  }
  codeServer = new CodeServer(path.join(runDir, 'code-server'));
  codeServer.installExtension(vsix);
  await codeServer.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await codeServer?.stop();
  // Keep the logs next to the screenshots: they explain a failure.
  if (codeServer) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, 'infill-output.log'), codeServer.infillLog());
    fs.copyFileSync(codeServer.logFile, path.join(artifactsDir, 'code-server.log'));
  }
});

/** Runs `body` in a fresh window; on failure, saves a screenshot first. */
async function inWindow(name, settings, body) {
  const workbench = await Workbench.open(browser, codeServer, makeWorkspace(name, settings), name);
  try {
    await body(workbench);
  } catch (error) {
    await workbench.screenshot('failure').catch(() => undefined);
    throw error;
  } finally {
    await workbench.close();
  }
}

/** What the running server says it provides (the extension logs it after `initialize`). */
async function assertServerProvides(feature) {
  const line = await waitFor(() => codeServer.infillLog().match(/server running; it provides: .*/g)?.pop(), { message: 'the server capabilities in the log' });
  const provided = feature === 'hover' ? /hover yes/.test(line)
    : feature === 'explain' ? /commands \[[^\]]*infill\.explain/.test(line)
    : /inline completion yes/.test(line);
  assert.ok(provided, `the server does not advertise ${feature}: ${line}`);
}

/** Hover on `rectangle_area` in `from geometry import rectangle_area` (main.py line 1). */
async function hoverOnImportedName(workbench) {
  await workbench.goTo(1, 24);
  await workbench.runCommand('Show or Focus Hover');
  const hover = workbench.page.locator('.monaco-hover:visible, .monaco-resizable-hover:visible').first();
  try {
    await waitFor(async () => /area of a rectangle/.test(await hover.innerText()), { timeoutMs: 20_000, message: 'the docstring in the hover' });
  } catch {
    const shown = (await hover.count()) ? await hover.innerText() : '(no hover shown)';
    assert.fail(`hover over the imported name "rectangle_area" did not show its docstring from geometry.py; the hover showed: ${JSON.stringify(shown)}. ` +
      'If it is empty, the server returned nothing for this hover (is the workspace index in place?).');
  }
  await workbench.screenshot('hover');
  await workbench.page.keyboard.press('Escape');
}

/** How many infill.explain requests the client has sent so far (it logs each one). */
const explainRequestCount = () => (codeServer.infillLog().match(/explain: sending infill\.explain/g) || []).length;

/** The explain panel now: its state, its text, and the text so far shown while it runs. */
async function explainPanelNow(workbench) {
  const frame = await workbench.webviewFrame('#answer');
  if (!frame) return undefined;
  const partial = frame.locator('#partial:not([hidden])');
  return {
    state: await frame.locator('#answer').getAttribute('data-state'),
    text: await frame.locator('#answer').innerText(),
    partial: (await partial.count()) ? await partial.innerText() : '',
  };
}

/** Selects lines 4-8 of main.py and runs "Infill: Explain Selection". */
async function explainLines(workbench) {
  await workbench.goTo(4, 1);
  for (let i = 0; i < 5; i++) await workbench.page.keyboard.press('Shift+ArrowDown');
  await workbench.runCommand('Infill: Explain Selection');
  await waitFor(() => workbench.webviewFrame('#answer'), { timeoutMs: 30_000, message: 'the explain panel' });
}

/** Waits until the panel leaves the running state; the panel as it is then. */
async function explainFinished(workbench, timeoutMs = 180_000) {
  return waitFor(async () => {
    const now = await explainPanelNow(workbench);
    return now && now.state !== 'running' ? now : undefined;
  }, { timeoutMs, message: async () => `the explanation to finish (panel now: ${JSON.stringify(await explainPanelNow(workbench).catch(() => undefined))})` });
}

test('ghost text from the real server, Tab accepts it; hover; explain selection', { timeout: 420_000 }, async (t) => {
  await inWindow('main', withExplainModel(), async (workbench) => {
    const { page } = workbench;
    await workbench.openFile('main.py');
    await workbench.waitForStatus(/^Infill: ready/, 120_000);
    await workbench.screenshot('ready');

    await t.test('ghost text appears and Tab accepts it', async (t) => {
      if (standin) return t.skip('the stand-in server makes no completions');
      await workbench.goTo(10, 1);
      const typed = 'def total_area(rooms):\n';
      await page.keyboard.type('def total_area(rooms):', { delay: 20 });
      await page.keyboard.press('Enter'); // the editor indents the next line
      await page.keyboard.type('return sum(', { delay: 20 });
      const ghost = page.locator('.ghost-text-decoration, .ghost-text-decoration-preview').first();
      await ghost.waitFor({ timeout: 90_000 }).catch(() => assert.fail('no ghost text (.ghost-text-decoration) within 90 s after typing'));
      const ghostText = (await ghost.innerText()).replace(/\u00a0/g, ' ');
      await workbench.screenshot('ghost-text');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Control+S');
      const file = path.join(runDir, 'ws-main', 'main.py');
      const saved = await waitFor(() => {
        const text = fs.readFileSync(file, 'utf8');
        return text.includes('return sum(') ? text : undefined;
      }, { message: 'main.py to be saved' });
      await workbench.screenshot('accepted');
      const line = saved.split('\n').find((l) => l.includes('return sum('));
      assert.ok(saved.includes(typed), 'the typed line is in the file');
      assert.ok(line.length > '    return sum('.length, `Tab inserted the ghost text ${JSON.stringify(ghostText)}; the line is ${JSON.stringify(line)}`);
      assert.ok(line.includes(ghostText.trimEnd().split('\n')[0].trim()) || ghostText.trim() === '', `the inserted text ${JSON.stringify(line)} contains the ghost text ${JSON.stringify(ghostText)}`);
    });

    await t.test('hover over an imported name shows its docstring', async (t) => {
      await assertServerProvides('hover');
      await hoverOnImportedName(workbench);
    });

    await t.test('explain with an empty selection: a hint, no request', async () => {
      await workbench.goTo(4, 1);
      const before = explainRequestCount();
      await workbench.runCommand('Infill: Explain Selection');
      await workbench.waitForNotification(/select some code first/);
      await workbench.screenshot('explain-empty-selection');
      await sleep(1000);
      assert.equal(explainRequestCount(), before, 'no workspace/executeCommand request was sent');
      assert.equal(await workbench.webviewFrame('#answer'), undefined, 'no explain panel opened');
    });

    await t.test('explain can be cancelled from the panel', async (t) => {
      await assertServerProvides('explain');
      await explainLines(workbench);
      const frame = await workbench.webviewFrame('#answer');
      try {
        await frame.locator('#answer[data-state="running"] #cancel').click({ timeout: 5_000 });
      } catch {
        t.skip('the answer arrived before the Cancel click');
        return;
      }
      const state = await waitFor(async () => {
        const s = await (await workbench.webviewFrame('#answer'))?.locator('#answer').getAttribute('data-state');
        return s !== 'running' ? s : undefined;
      }, { timeoutMs: 30_000, message: 'the panel to leave the running state' });
      if (state === 'done') {
        t.skip('the answer arrived before the Cancel click');
        return;
      }
      assert.equal(state, 'cancelled');
      await workbench.screenshot('explain-cancelled');
      await waitFor(() => /explain: cancelled/.test(codeServer.infillLog()), { message: 'the cancellation in the log' });
    });

    await t.test('explain selection streams the explain model\'s answer into a side panel', async (t) => {
      await assertServerProvides('explain');
      await explainLines(workbench);
      await workbench.screenshot('explain-running');
      // While the model writes, the text so far grows below the progress line.
      const streaming = await waitFor(async () => {
        const now = await explainPanelNow(workbench);
        return now && (now.state !== 'running' || now.partial.trim()) ? now : undefined;
      }, { timeoutMs: 120_000, message: 'the text so far in the panel' });
      if (streaming.state === 'running') await workbench.screenshot('explain-streaming');
      const { state, text: answer } = await explainFinished(workbench);
      await workbench.screenshot('explain-answer');
      assert.equal(state, 'done', `the panel shows: ${answer}`);
      assert.ok(streaming.state === 'running' && streaming.partial.trim(), `no text so far was shown while the model wrote (panel: ${JSON.stringify(streaming)})`);
      assert.ok(answer.trim().length > 0, 'the answer is not empty');
      assert.doesNotMatch(answer, /No chat model is configured/, 'the explain model answered');
      assert.ok(explainRequestCount() >= 1, 'the request went to the server');
    });

    await t.test('"Infill: Show Log" shows the output channel', async () => {
      await workbench.runCommand('Infill: Show Log');
      await workbench.page.getByText('server running; it provides').first().waitFor({ timeout: 15_000 });
      await workbench.screenshot('show-log');
    });

    await t.test('"Infill: Restart Server" starts a new server', async () => {
      const starts = () => (codeServer.infillLog().match(/server running; it provides/g) || []).length;
      const before = starts();
      await workbench.runCommand('Infill: Restart Server');
      await waitFor(() => starts() > before, { timeoutMs: 60_000, message: 'a second "server running" in the log' });
      await workbench.waitForStatus(/^Infill: ready/, 120_000);
    });
  });
});

/** Text of the quick pick's rows now shown (label, description and detail of each). */
async function quickPickRows(workbench) {
  return workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allInnerTexts();
}

/** Types ghost-text-inviting code at main.py line 10; the ghost text shown, or fails. */
async function ghostTextAtLine10(workbench) {
  const { page } = workbench;
  await workbench.goTo(10, 1);
  await page.keyboard.type('def total_area(rooms):', { delay: 20 });
  await page.keyboard.press('Enter');
  await page.keyboard.type('return sum(', { delay: 20 });
  const ghost = page.locator('.ghost-text-decoration, .ghost-text-decoration-preview').first();
  await ghost.waitFor({ timeout: 90_000 }).catch(() => assert.fail('no ghost text (.ghost-text-decoration) within 90 s after typing'));
  return (await ghost.innerText()).replace(/\u00a0/g, ' ');
}

// Runs second, in the first window on the embedded model: it sees the once-per-install notice.
test('select model: the embedded-model notice, a registry model downloaded with progress, then completing with it; check setup', { timeout: 420_000 }, async (t) => {
  if (standin) return t.skip('the stand-in server has no models to pick');
  // The registry (INFILL_REGISTRY) names a model served on loopback, not yet in INFILL_MODELS_DIR.
  const body = fs.readFileSync(model);
  const served = await serveFile('/e2e-coder.gguf', body);
  const registry = path.join(runDir, 'e2e-registry.json');
  const modelsDir = path.join(runDir, 'e2e-models');
  fs.rmSync(modelsDir, { recursive: true, force: true });
  fs.writeFileSync(registry, JSON.stringify({
    models: {
      'e2e-coder': {
        description: 'A random-weight test model served on loopback', source: 'this test', url: served.url,
        filename: 'e2e-coder.gguf', size_bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'),
        fim_family: 'starcoder', context_length: 2048, vram_mb: 200,
      },
      'e2e-huge': {
        description: 'Too big for any GPU budget', source: 'this test', url: 'http://127.0.0.1:9/huge.gguf',
        filename: 'huge.gguf', size_mb: 40000, sha256: null, fim_family: 'starcoder', context_length: 4096, vram_mb: 60000,
      },
    },
  }, null, 2));
  // The server's environment comes through its command line: `env NAME=VALUE python -m lsp_server serve`.
  const command = ['env', `INFILL_REGISTRY=${registry}`, `INFILL_MODELS_DIR=${modelsDir}`, ...serverCommand];
  const userSettings = path.join(codeServer.userDataDir, 'User', 'settings.json');
  try {
    await inWindow('select-model', { 'infill.serverCommand': command, 'infill.model.nCtx': 2048 }, async (workbench) => {
      const { page } = workbench;
      await workbench.openFile('main.py');
      await workbench.waitForStatus(/^Infill: ready — infill-tiny-code \(embedded\)/, 120_000);

      // Once per install, while the embedded model is in use: an offer to choose a model.
      await workbench.waitForNotification(/small embedded model/);
      await workbench.screenshot('embedded-model-notice');
      await page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Choose a model' }).first().click();

      // The quick pick: sections, sizes, roles and GPU fit.
      const rows = await waitFor(async () => {
        const texts = await quickPickRows(workbench);
        return texts.some((text) => text.includes('e2e-huge')) && texts.some((text) => text.includes('e2e-coder')) ? texts : undefined;
      }, { timeoutMs: 30_000, message: async () => `the model quick pick (rows now: ${JSON.stringify(await quickPickRows(workbench))})` });
      await workbench.screenshot('select-model');
      const row = (name) => rows.find((text) => text.split('\n')[0].trim().endsWith(name)) ?? rows.find((text) => text.includes(name));
      assert.match(row('e2e-coder'), /completion · 14\.\d MB · fits this GPU/);
      assert.match(row('e2e-coder'), /not downloaded: picking it downloads it/);
      assert.match(row('e2e-huge'), /too big for the GPU budget/);
      assert.match(row('infill-tiny-code'), /in use for completions/);
      const listText = rows.join('\n');
      assert.match(listText, /in use/);
      assert.match(listText, /download/);

      // Pick the registry model: the server downloads it, with a cancellable progress notification.
      await page.locator('.quick-input-widget input').fill('e2e-coder');
      await page.keyboard.press('Enter');
      const progress = await workbench.waitForNotification(/downloading e2e-coder.*\d+\.\d of 14\.\d MB/s, 30_000);
      await workbench.screenshot('download-progress');
      assert.ok(await page.locator('.notifications-toasts .notification-toast', { hasText: 'downloading e2e-coder' }).locator('.monaco-button, .codicon-notifications-cancel, [aria-label*="Cancel"]').count() > 0,
        `the progress notification can be cancelled: ${progress}`);

      // Done: the setting is written, the server loads the model, and the status names it.
      await workbench.waitForStatus(/^Infill: ready — e2e-coder/, 120_000);
      await workbench.screenshot('model-in-use');
      assert.ok(fs.existsSync(path.join(modelsDir, 'e2e-coder', 'e2e-coder.gguf')), 'the model was downloaded into INFILL_MODELS_DIR');
      assert.ok(served.requests.some((request) => request.url === '/e2e-coder.gguf'), 'the file server was asked for the model');
      const written = JSON.parse(fs.readFileSync(userSettings, 'utf8'));
      assert.equal(written['infill.model.path'], 'e2e-coder', 'the pick went to the user settings');

      await t.test('ghost text comes from the new model', async () => {
        const ghostText = await ghostTextAtLine10(workbench);
        assert.match(await workbench.infillStatus(), /^Infill: ready — e2e-coder/, 'still the downloaded model');
        await workbench.screenshot('ghost-text-new-model');
        assert.ok(ghostText.trim().length > 0, 'the ghost text is not empty');
        await page.keyboard.press('Escape');
      });

      await t.test('"Infill: Check Setup" shows its report', async () => {
        await workbench.runCommand('Infill: Check Setup');
        const frame = await waitFor(() => workbench.webviewFrame('#setup-report'), { timeoutMs: 120_000, message: 'the setup report' });
        const report = await frame.locator('#setup-report').innerText();
        assert.match(report, /Infill: Setup Check/);
        assert.match(report, /model file/);
        assert.match(report, /Infill setup: \d+ ok/);
        assert.ok(await frame.locator('.check[data-verdict="ok"]').count() > 0, `some checks pass: ${report}`);
        await workbench.waitForNotification(/Infill setup: \d+ ok/);
        await workbench.screenshot('check-setup');
      });
    });
  } finally {
    await served.close();
    // The pick went to the user settings, shared by every window: later tests start without it.
    if (fs.existsSync(userSettings)) {
      const settings = JSON.parse(fs.readFileSync(userSettings, 'utf8'));
      delete settings['infill.model.path'];
      fs.writeFileSync(userSettings, JSON.stringify(settings, null, 2));
    }
  }
});

test('only the embedded model: Explain Selection says how to get a chat model', { timeout: 240_000 }, async (t) => {
  if (standin) return t.skip('the stand-in server answers with canned text');
  // No infill.model.path: the embedded model, which completes code but cannot explain it.
  await inWindow('embedded', { 'infill.serverCommand': serverCommand, 'infill.model.nCtx': 2048 }, async (workbench) => {
    await workbench.openFile('main.py');
    await workbench.waitForStatus(/^Infill: ready/, 120_000);
    await assertServerProvides('explain');
    await explainLines(workbench);
    const { state, text, partial } = await explainFinished(workbench, 60_000);
    await workbench.screenshot('explain-guidance');
    assert.equal(state, 'done', `the panel shows: ${text}`);
    assert.match(text, /No chat model is configured for Explain\./);
    assert.match(text, /embedded model/);
    assert.match(text, /infill models pull qwen2\.5-coder-1\.5b-instruct/);
    assert.match(text, /infill\.explain\.model/);
    assert.equal(partial, '', 'no model ran: nothing was streamed');
    // Rendered as Markdown: the command as a code block, no heading from the model.
    const frame = await workbench.webviewFrame('#answer');
    assert.ok(await frame.locator('#answer pre code, #answer code').count(), 'the command is shown as code');
    assert.equal(await frame.locator('#answer h1, #answer h2').count(), 0, 'no large headings in the answer');
  });
});

test('model missing: status bar error, hover still works', { timeout: 240_000 }, async (t) => {
  await inWindow('model-missing', { ...realServer(), 'infill.model.path': path.join(runDir, 'no-such-model.gguf') }, async (workbench) => {
    await workbench.openFile('main.py');
    const status = await workbench.waitForStatus(/^Infill: error/, 120_000);
    assert.match(status, /model|gguf|not found|no such/i, 'the status names the model problem');
    await workbench.screenshot('model-missing-status');

    await t.test('hover still works without a model', async (t) => {
      await assertServerProvides('hover');
      await hoverOnImportedName(workbench);
    });

    await t.test('fixing infill.model.path reaches the server, which loads the model', async () => {
      const settingsFile = path.join(runDir, 'ws-model-missing', '.vscode', 'settings.json');
      fs.writeFileSync(settingsFile, JSON.stringify(realServer(), null, 2));
      await workbench.waitForStatus(/^Infill: ready/, 120_000);
      await workbench.screenshot('model-fixed');
    });
  });
});

test('server command missing: a clear message with a Restart button', { timeout: 120_000 }, async () => {
  await inWindow('command-missing', { 'infill.serverCommand': ['/nonexistent/bin/infill-server', 'serve'] }, async (workbench) => {
    const message = await workbench.waitForNotification(/not found/);
    assert.match(message, /\/nonexistent\/bin\/infill-server/);
    assert.match(message, /infill\.serverCommand/);
    await workbench.waitForStatus(/^Infill: error/);
    await workbench.screenshot('command-missing');
    const restart = workbench.page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Restart' }).first();
    await restart.waitFor();
    await restart.click();
    await workbench.waitForNotification(/not found/); // tried again, and said so again
  });
});

test('server crashing: restarted a few times, then a message naming why, with Restart', { timeout: 180_000 }, async () => {
  const crash = [python, '-c', "import sys; sys.stderr.write('infill test: crashed on purpose\\n'); sys.exit(3)"];
  await inWindow('crashing', { 'infill.serverCommand': crash }, async (workbench) => {
    const message = await workbench.waitForNotification(/will not be restarted/, 90_000);
    assert.match(message, /stopped 4 times/);
    assert.match(message, /exited with code 3/);
    assert.match(message, /crashed on purpose/);
    await workbench.waitForStatus(/^Infill: error/);
    await workbench.screenshot('crashing');
    assert.equal(await workbench.page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Restart' }).count() > 0, true, 'a Restart button');
  });
});
