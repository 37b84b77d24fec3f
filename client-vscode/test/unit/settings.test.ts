// Unit tests of the settings mapping (flat VS Code settings -> the server's nested object).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, completionWanted, toServerSettings } from '../../src/settings';

/** A reader over a plain object, like `workspace.getConfiguration('infill').get`. */
function reader(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

test('no settings give the defaults', () => {
  assert.deepEqual(toServerSettings(reader({})), DEFAULT_SETTINGS);
});

test('every setting lands in its nested place', () => {
  const settings = toServerSettings(
    reader({
      'model.path': '/models/coder.gguf',
      'model.nGpuLayers': 0,
      'model.nCtx': 8192,
      'model.vramBudgetMb': 4096,
      'completion.enabled': false,
      'completion.maxTokens': 32,
      'completion.promptBudgetTokens': 2048,
      'completion.disabledLanguages': ['markdown', 'plaintext'],
      'engine.kind': 'remote',
      'engine.url': 'http://127.0.0.1:8080/v1',
      'engine.apiKeyEnv': 'INFILL_KEY',
      'engine.model': 'qwen',
      'context.budgetTokens': 256,
      'hover.generatedSummaries': false,
    }),
  );
  assert.deepEqual(settings, {
    model: { path: '/models/coder.gguf', nGpuLayers: 0, nCtx: 8192, vramBudgetMb: 4096 },
    completion: { enabled: false, maxTokens: 32, promptBudgetTokens: 2048, disabledLanguages: ['markdown', 'plaintext'] },
    engine: { kind: 'remote', url: 'http://127.0.0.1:8080/v1', apiKeyEnv: 'INFILL_KEY', model: 'qwen' },
    context: { budgetTokens: 256 },
    hover: { generatedSummaries: false },
  });
});

test('wrong types and out-of-range values fall back to the defaults', () => {
  const settings = toServerSettings(
    reader({
      'model.path': '   ',
      'model.nGpuLayers': -2,
      'model.nCtx': '4096',
      'completion.enabled': 'yes',
      'completion.maxTokens': 0,
      'completion.promptBudgetTokens': 1.5,
      'completion.disabledLanguages': ['go', 3, null],
      'engine.kind': 'openai',
      'context.budgetTokens': -5,
    }),
  );
  assert.equal(settings.model.path, null);
  assert.equal(settings.model.nGpuLayers, null);
  assert.equal(settings.model.nCtx, DEFAULT_SETTINGS.model.nCtx);
  assert.equal(settings.completion.enabled, true);
  assert.equal(settings.completion.maxTokens, DEFAULT_SETTINGS.completion.maxTokens);
  assert.equal(settings.completion.promptBudgetTokens, DEFAULT_SETTINGS.completion.promptBudgetTokens);
  assert.deepEqual(settings.completion.disabledLanguages, ['go']);
  assert.equal(settings.engine.kind, 'llama_cpp');
  assert.equal(settings.context.budgetTokens, null);
});

test('paths are trimmed', () => {
  assert.equal(toServerSettings(reader({ 'model.path': '  /m.gguf ' })).model.path, '/m.gguf');
});

test('the package.json defaults match DEFAULT_SETTINGS', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const manifest = require('../../../package.json');
  const properties = manifest.contributes.configuration.properties as Record<string, { default: unknown }>;
  const fromManifest = toServerSettings((key) => properties[`infill.${key}`]?.default);
  assert.deepEqual(fromManifest, DEFAULT_SETTINGS);
  for (const key of ['model.path', 'model.nGpuLayers', 'model.nCtx', 'completion.enabled', 'completion.maxTokens',
    'completion.promptBudgetTokens', 'completion.disabledLanguages', 'engine.kind', 'engine.url', 'engine.apiKeyEnv',
    'engine.model', 'context.budgetTokens', 'model.vramBudgetMb', 'hover.generatedSummaries']) {
    assert.ok(`infill.${key}` in properties, `package.json declares infill.${key}`);
  }
});

test('completionWanted honours enabled and disabledLanguages', () => {
  const settings = toServerSettings(reader({ 'completion.disabledLanguages': ['markdown'] }));
  assert.equal(completionWanted(settings, 'python'), true);
  assert.equal(completionWanted(settings, 'markdown'), false);
  const off = toServerSettings(reader({ 'completion.enabled': false }));
  assert.equal(completionWanted(off, 'python'), false);
});
