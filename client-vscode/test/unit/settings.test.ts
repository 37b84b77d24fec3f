// Unit tests of the settings pass-through (the `infill` section -> what the server gets).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { completionWanted, toServerSettings } from '../../src/settings';

/** The `infill` section as VS Code nests it, with a method like WorkspaceConfiguration's. */
function section(values: Record<string, unknown>) {
  return { ...values, get: (key: string) => values[key], has: () => true };
}

test('settings pass through as plain JSON, nested the way VS Code holds them', () => {
  const settings = toServerSettings(
    section({
      model: { path: '/models/coder.gguf', nGpuLayers: 0, nCtx: 8192 },
      completion: { maxTokens: 32, disabledLanguages: ['markdown'] },
      engine: { kind: 'remote', url: 'http://127.0.0.1:8080/v1' },
    }),
  );
  assert.deepEqual(settings, {
    model: { path: '/models/coder.gguf', nGpuLayers: 0, nCtx: 8192 },
    completion: { maxTokens: 32, disabledLanguages: ['markdown'] },
    engine: { kind: 'remote', url: 'http://127.0.0.1:8080/v1' },
  });
});

test('values are not checked again: the server reports bad ones under their names', () => {
  const settings = toServerSettings(section({ completion: { maxTokens: 0, enabled: 'yes' } }));
  assert.deepEqual(settings, { completion: { maxTokens: 0, enabled: 'yes' } });
});

test("the extension's own settings are not sent", () => {
  const settings = toServerSettings(
    section({ serverCommand: ['infill', 'serve'], pythonPath: '/usr/bin/python3', trace: { server: 'off' }, hover: { enabled: true } }),
  );
  assert.deepEqual(settings, { hover: { enabled: true } });
});

test('nothing usable gives an empty object', () => {
  assert.deepEqual(toServerSettings(undefined), {});
  assert.deepEqual(toServerSettings([1, 2]), {});
});

test('every server setting in package.json reaches the server with its default', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const manifest = require('../../../package.json');
  const properties = manifest.contributes.configuration.properties as Record<string, { default: unknown }>;
  const nested: Record<string, Record<string, unknown>> = {};
  for (const [key, property] of Object.entries(properties)) {
    const [, group, name] = key.split('.');
    if (name === undefined) continue; // infill.serverCommand, infill.pythonPath
    (nested[group] ??= {})[name] = property.default;
  }
  const settings = toServerSettings(section(nested));
  assert.ok(!('trace' in settings));
  for (const group of ['model', 'completion', 'context', 'hover', 'engine', 'index']) {
    assert.deepEqual(settings[group], nested[group], group);
  }
});

test('completionWanted honours enabled and disabledLanguages', () => {
  const settings = toServerSettings(section({ completion: { enabled: true, disabledLanguages: ['markdown'] } }));
  assert.equal(completionWanted(settings, 'python'), true);
  assert.equal(completionWanted(settings, 'markdown'), false);
  assert.equal(completionWanted(toServerSettings(section({ completion: { enabled: false } })), 'python'), false);
  assert.equal(completionWanted({}, 'python'), true);
});
