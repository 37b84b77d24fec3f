// Unit tests of the plain-data parts of the client: protocol shapes, status bar looks, panel HTML.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  DOCUMENT_SELECTOR,
  configurationChangeParams,
  explainArguments,
  explainMarkdown,
  initializationOptions,
  parseStatusParams,
} from '../../src/clientOptions';
import { modelText, statusLook } from '../../src/statusText';
import { escapeHtml, explainPageHtml } from '../../src/explainHtml';

test('documents on disk and unsaved ones are sent to the server', () => {
  assert.deepEqual(DOCUMENT_SELECTOR, [{ scheme: 'file' }, { scheme: 'untitled' }]);
});

test('initializationOptions and didChangeConfiguration carry the nested settings', () => {
  const settings = { model: { path: '/m.gguf', nCtx: 4096 }, completion: { maxTokens: 64 } };
  assert.deepEqual(initializationOptions(settings), settings);
  assert.deepEqual(configurationChangeParams(settings), { settings: { infill: settings } });
});

test('explain arguments: one object with uri and range', () => {
  const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 4 } };
  assert.deepEqual(explainArguments('file:///w/a.py', range), [{ uri: 'file:///w/a.py', range }]);
  assert.deepEqual(explainArguments('file:///w/a.py', range, 'tok-1'), [{ uri: 'file:///w/a.py', range, workDoneToken: 'tok-1' }]);
});

test('explain result: {markdown} or a bare string', () => {
  assert.equal(explainMarkdown({ markdown: '**hi**' }), '**hi**');
  assert.equal(explainMarkdown('text'), 'text');
  assert.equal(explainMarkdown(null), undefined);
  assert.equal(explainMarkdown({ text: 'x' }), undefined);
});

test('infill/status params are checked', () => {
  assert.deepEqual(parseStatusParams({ state: 'loading', message: 'loading model' }), { state: 'loading', message: 'loading model', model: '', embedded: false });
  assert.deepEqual(parseStatusParams({ state: 'ready' }), { state: 'ready', message: '', model: '', embedded: false });
  assert.deepEqual(parseStatusParams({ state: 'ready', message: 'm ready', model: 'qwen2.5-coder-1.5b', embedded: false }), {
    state: 'ready',
    message: 'm ready',
    model: 'qwen2.5-coder-1.5b',
    embedded: false,
  });
  assert.deepEqual(parseStatusParams({ state: 'disabled', message: 'off', model: 7, embedded: 'yes' }), { state: 'disabled', message: 'off', model: '', embedded: false });
  assert.equal(parseStatusParams({ state: 'bogus', message: 'x' }), undefined);
  assert.equal(parseStatusParams(null), undefined);
});

test('status looks: error states are marked, long messages go to the tooltip', () => {
  const error = statusLook('error', 'model not found: /m.gguf');
  assert.equal(error.isError, true);
  assert.equal(error.text, '$(error) Infill model not found: /m.gguf');
  assert.match(error.label, /^Infill: error — model not found/);
  const ready = statusLook('ready', 'model loaded');
  assert.equal(ready.text, '$(check) Infill');
  assert.equal(ready.isError, false);
  const long = statusLook('indexing', 'indexing 1234 of 5678 files in /a/very/long/workspace/path');
  assert.equal(long.text, '$(sync~spin) Infill indexing');
  assert.match(long.tooltip, /1234 of 5678/);
});

test('status looks name the model in use', () => {
  const model = { name: 'qwen2.5-coder-1.5b', embedded: false };
  const ready = statusLook('ready', 'Qwen2.5 Coder 1.5B ready (qwen2.5-coder FIM; 28/28 layers on GPU)', model);
  assert.equal(ready.text, '$(check) Infill: qwen2.5-coder-1.5b');
  assert.equal(ready.label, 'Infill: ready — qwen2.5-coder-1.5b — Qwen2.5 Coder 1.5B ready (qwen2.5-coder FIM; 28/28 layers on GPU)');
  assert.match(ready.tooltip, /^Infill: ready — qwen2\.5-coder-1\.5b\nQwen2\.5 Coder 1\.5B ready/);
  const embedded = statusLook('ready', 'tiny ready', { name: 'infill-tiny-code', embedded: true });
  assert.equal(embedded.text, '$(check) Infill: infill-tiny-code (embedded)');
  assert.equal(modelText({ name: '', embedded: false }), '');
  const long = statusLook('ready', '', { name: 'Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m', embedded: false });
  assert.equal(long.text, '$(check) Infill: qwen2.5-coder-7b-instruct-q4_k_m');
  assert.match(long.label, /^Infill: ready — Qwen\/Qwen2\.5-Coder-7B-Instruct-GGUF\/qwen2\.5-coder-7b-instruct-q4_k_m$/);
  const longer = statusLook('ready', '', { name: 'a-very-long-model-name-with-many-parts-q4_k_m', embedded: false });
  assert.equal(longer.text, '$(check) Infill: a-very-long-model-name-with-man…');
  // While the index is built after the model is ready: the progress is the short text.
  const indexing = statusLook('indexing', 'indexing 120/1800 files; qwen ready (qwen2.5-coder FIM; CPU only)', model);
  assert.equal(indexing.text, '$(sync~spin) Infill indexing 120/1800 files');
  assert.equal(indexing.isError, false);
  assert.equal(statusLook('disabled', 'completions disabled (infill.engine.kind is none)').isError, false);
});

test('panel HTML escapes text and allows only its own script', () => {
  assert.equal(escapeHtml(`<b>&"'`), '&lt;b&gt;&amp;&quot;&#39;');
  const html = explainPageHtml({ state: 'error', title: 'a.py <1>', error: '<script>alert(1)</script>' }, 'NONCE', 'vscode-webview:');
  assert.ok(!html.includes('<script>alert'));
  assert.ok(html.includes("script-src 'nonce-NONCE'"));
  assert.ok(html.includes('data-state="error"'));
  const running = explainPageHtml({ state: 'running', title: 't' }, 'N', 'x');
  assert.ok(running.includes('id="cancel"'));
});
