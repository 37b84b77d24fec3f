// End to end in a real VS Code (code-server, headless chromium, playwright-core): accept a
// suggestion with Tab, and the next ghost text appears without typing. The server computed it
// while the first suggestion was shown (the prefetch); VS Code asks again after Tab by itself.
//
// Run: node --test --test-concurrency=1 test/e2e/speculative.e2e.test.mjs (after "npm run package"),
// with the tools of scripts/setup-e2e.sh. The model is the embedded one (no infill.model.path):
// real suggestions, each at most a few tokens long (maxTokens 4) so that one Tab rarely finishes
// a line (after a finished line only a confident suggestion follows, which a tiny model rarely is).
// Environment: INFILL_PYTHON (default <repo>/.venv/bin/python). Screenshots: test-artifacts/.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeServer, Workbench, artifactsDir, clientDir, launchBrowser, repoDir, waitFor } from './harness.mjs';

const runDir = path.join(clientDir, '.cache', 'e2e-run-speculative');
const python = process.env.INFILL_PYTHON || [path.join(repoDir, '.venv', 'bin', 'python')].find(fs.existsSync) || 'python3';
const vsix = path.join(clientDir, 'infill.vsix');
let codeServer;
let browser;

const settings = {
  'infill.serverCommand': [python, '-m', 'lsp_server', 'serve'],
  'infill.model.nCtx': 2048,
  'infill.completion.maxTokens': 4,
  'infill.completion.minConfidence': 0,
};

before(async () => {
  assert.ok(fs.existsSync(vsix), `${vsix} is missing: run "npm run package" first`);
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  codeServer = new CodeServer(path.join(runDir, 'code-server'));
  codeServer.installExtension(vsix);
  await codeServer.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await codeServer?.stop();
  if (codeServer) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, 'speculative-infill-output.log'), codeServer.infillLog());
  }
});

function makeWorkspace(name) {
  const folder = path.join(runDir, `ws-${name}`);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.cpSync(path.join(clientDir, 'test', 'e2e', 'workspace'), folder, { recursive: true });
  fs.mkdirSync(path.join(folder, '.vscode'));
  fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  return folder;
}

/** The ghost text shown now ('' when none). */
async function ghostText(page) {
  const ghost = page.locator('.ghost-text-decoration, .ghost-text-decoration-preview');
  if (!(await ghost.count())) return '';
  return (await ghost.allInnerTexts()).join('').replace(/\u00a0/g, ' ');
}

/** The cursor as the status bar shows it ("Ln 12, Col 27"). */
async function cursorPosition(page) {
  const item = page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first();
  return (await item.count()) ? (await item.innerText()).match(/Ln \d+, Col \d+/)?.[0] : undefined;
}

test('after Tab the next ghost text appears without typing', { timeout: 300_000 }, async () => {
  const folder = makeWorkspace('speculative');
  const workbench = await Workbench.open(browser, codeServer, folder, 'speculative');
  const { page } = workbench;
  try {
    await workbench.openFile('main.py');
    await workbench.waitForStatus(/^Infill: ready/, 120_000);
    await workbench.goTo(10, 1);
    await page.keyboard.type('def total_area(rooms):', { delay: 20 });
    await page.keyboard.press('Enter');
    await page.keyboard.type('total = rectangle_area(', { delay: 20 });

    // Up to a few places: the tiny model may have nothing to say after some suggestions.
    let chained;
    let tabs = 0;
    for (let attempt = 0; attempt < 5 && !chained; attempt++) {
      const first = await waitFor(() => ghostText(page), { timeoutMs: 90_000, message: 'ghost text after typing' });
      await workbench.screenshot(`ghost-${attempt}`);
      const before = await cursorPosition(page);
      await page.waitForTimeout(400); // reading it; the server computes what follows meanwhile
      const tabbed = Date.now();
      await page.keyboard.press('Tab');
      tabs++;
      // Accepted once the cursor has moved past it: the old ghost text is gone from the view by then.
      await waitFor(async () => {
        const now = await cursorPosition(page);
        return now && now !== before;
      }, { timeoutMs: 10_000, intervalMs: 20, message: `the cursor to move from ${before} after Tab` });
      try {
        const next = await waitFor(() => ghostText(page), { timeoutMs: 15_000, intervalMs: 20, message: 'a ghost text after Tab' });
        chained = { first, next, ms: Date.now() - tabbed };
      } catch {
        // Nothing followed this one (the model had nothing, or only unsure text after a finished
        // line): type a space and accept the next suggestion instead.
        await page.keyboard.type(' ');
      }
    }
    assert.ok(chained, `after ${tabs} Tabs no ghost text followed without typing`);
    await workbench.screenshot('next-ghost-after-tab');
    console.log(`accepted ${JSON.stringify(chained.first)}; ${chained.ms} ms after Tab, without typing: ${JSON.stringify(chained.next)}`);

    // The document holds the accepted text once saved.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const saved = await waitFor(() => {
      const text = fs.readFileSync(path.join(folder, 'main.py'), 'utf8');
      return text.includes('total = rectangle_area(') ? text : undefined;
    }, { message: 'main.py to be saved' });
    const accepted = chained.first.split('\n')[0].trim();
    assert.ok(saved.includes(accepted), `the file holds the accepted ${JSON.stringify(accepted)}:\n${saved}`);
  } catch (error) {
    await workbench.screenshot('failure').catch(() => undefined);
    throw error;
  } finally {
    await workbench.close();
  }
});

test('with completion.candidates 3, Alt+] shows another candidate', { timeout: 300_000 }, async () => {
  // VS Code asks again with trigger kind Invoke when cycling; the server then returns every
  // candidate (as-you-type requests get the first one alone).
  const folder = makeWorkspace('candidates');
  fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ ...settings, 'infill.completion.candidates': 3, 'infill.completion.maxTokens': 16 }, null, 2));
  const workbench = await Workbench.open(browser, codeServer, folder, 'candidates');
  const { page } = workbench;
  try {
    await workbench.openFile('main.py');
    await workbench.waitForStatus(/^Infill: ready/, 120_000);
    await workbench.goTo(10, 1);
    await page.keyboard.type('def total_area(rooms):', { delay: 20 });
    await page.keyboard.press('Enter');
    await page.keyboard.type('return ', { delay: 20 });
    const seen = new Set();
    for (let attempt = 0; attempt < 3 && seen.size < 2; attempt++) {
      seen.add(await waitFor(() => ghostText(page), { timeoutMs: 90_000, message: 'ghost text after typing' }));
      for (let i = 0; i < 3 && seen.size < 2; i++) {
        await page.keyboard.press('Alt+BracketRight');
        await page.waitForTimeout(1500);
        const now = await ghostText(page);
        if (now) seen.add(now);
      }
      if (seen.size < 2) await page.keyboard.type('s', { delay: 20 }); // another place, other candidates
    }
    await workbench.screenshot('candidates-cycled');
    console.log(`ghost texts seen while cycling: ${JSON.stringify([...seen])}`);
    assert.ok(seen.size >= 2, `Alt+] showed no other candidate (seen: ${JSON.stringify([...seen])})`);
  } catch (error) {
    await workbench.screenshot('failure').catch(() => undefined);
    throw error;
  } finally {
    await workbench.close();
  }
});
