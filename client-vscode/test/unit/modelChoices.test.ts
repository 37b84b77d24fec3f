// Unit tests of "Infill: Select Model": the quick pick built from `infill/models`, the
// download's progress steps, and when the embedded-model notice is offered.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  PickEntry,
  ProgressSteps,
  formatSize,
  modelPickEntries,
  offersModelChoice,
  parseModelsResult,
  pullParams,
  pulledPath,
} from '../../src/modelChoices';

/** An `infill/models` result as the server sends it. */
function serverResult(overrides: Record<string, unknown> = {}) {
  return {
    modelPath: '',
    explainModel: '',
    engineKind: 'llama_cpp',
    vramBudgetMb: 8192,
    modelsDir: '/home/me/.cache/infill/models',
    embedded: { name: 'infill-tiny-code', path: '/repo/models/infill-tiny-code.gguf', sizeBytes: 18_721_728, inUse: 'completion' },
    registry: [
      {
        name: 'qwen2.5-coder-1.5b', role: 'completion', description: 'Qwen2.5-Coder 1.5B base', source: 'QuantFactory',
        sizeBytes: 986_000_000, sizeApproximate: true, vramMb: 1900, fits: true, pulled: false, partialBytes: null,
        path: '/c/qwen2.5-coder-1.5b/q.gguf', inUse: null,
      },
      {
        name: 'codestral-22b', role: 'completion', description: 'Codestral 22B', source: 'bartowski',
        sizeBytes: 13_300_000_000, sizeApproximate: true, vramMb: 14700, fits: false, pulled: false, partialBytes: 2_500_000_000,
        path: '/c/codestral-22b/c.gguf', inUse: null,
      },
      {
        name: 'starcoder2-3b', role: 'completion', description: 'StarCoder2 3B', source: 'second-state',
        sizeBytes: 1_848_976_448, sizeApproximate: false, vramMb: 2500, fits: true, pulled: true, partialBytes: null,
        path: '/c/starcoder2-3b/s.gguf', inUse: null,
      },
      {
        name: 'qwen2.5-coder-1.5b-instruct', role: 'explain', description: 'Qwen2.5-Coder 1.5B Instruct', source: 'Qwen',
        sizeBytes: 1_100_000_000, sizeApproximate: true, vramMb: 2000, fits: true, pulled: true, partialBytes: null,
        path: '/c/i/i.gguf', inUse: 'explain',
      },
    ],
    found: [
      {
        name: 'Qwen/Qwen2.5-Coder-7B-GGUF/qwen2.5-coder-7b-q4_k_m', path: '/hf/q7.gguf', source: 'Hugging Face cache',
        kind: 'completion', sizeBytes: 4_680_000_000, gpuMb: 5700, fits: true, inUse: null,
      },
      { name: 'ollama:llama3:8b', path: '/ollama/blob', source: 'Ollama', kind: 'chat', sizeBytes: 4_900_000_000, gpuMb: 9000, fits: false, inUse: null },
      { name: 'weird', path: '/w.gguf', source: 'folder', kind: 'no FIM tokens', sizeBytes: 1000, gpuMb: null, fits: null, inUse: null },
    ],
    errors: [],
    ...overrides,
  };
}

const labels = (entries: PickEntry[]) => entries.map((entry) => (entry.kind === 'separator' ? `-- ${entry.label}` : entry.label));
const item = (entries: PickEntry[], name: string) => {
  const found = entries.find((entry) => entry.kind === 'item' && entry.label.endsWith(name));
  assert.ok(found && found.kind === 'item', `no item ${name}`);
  return found;
};

test('sections: in use, on this machine, downloaded, download, embedded', () => {
  const entries = modelPickEntries(parseModelsResult(serverResult())!);
  assert.deepEqual(labels(entries), [
    '-- in use',
    '$(check) infill-tiny-code',
    '$(check) qwen2.5-coder-1.5b-instruct',
    '-- on this machine',
    'Qwen/Qwen2.5-Coder-7B-GGUF/qwen2.5-coder-7b-q4_k_m',
    'ollama:llama3:8b',
    'weird',
    '-- downloaded',
    'starcoder2-3b',
    '-- download',
    'qwen2.5-coder-1.5b',
    'codestral-22b',
  ]);
  // With a registry model in use, the embedded model has its own section at the end.
  const result = serverResult();
  (result.embedded as { inUse: string | null }).inUse = null;
  (result.registry[2] as { inUse: string | null }).inUse = 'completion';
  const other = labels(modelPickEntries(parseModelsResult(result)!));
  assert.deepEqual(other.slice(0, 3), ['-- in use', '$(check) starcoder2-3b', '$(check) qwen2.5-coder-1.5b-instruct']);
  assert.deepEqual(other.slice(-2), ['-- embedded', 'infill-tiny-code']);
  assert.ok(!other.includes('-- downloaded'), 'an empty section is left out');
});

test('each item says its size, kind or role, and whether it fits the GPU', () => {
  const entries = modelPickEntries(parseModelsResult(serverResult())!);
  const qwen = item(entries, 'qwen2.5-coder-1.5b');
  assert.equal(qwen.description, 'completion · ~986 MB · fits this GPU');
  assert.match(qwen.detail, /not downloaded: picking it downloads it/);
  assert.match(qwen.detail, /^not downloaded: picking it downloads it · Qwen2\.5-Coder 1\.5B base · ~1\.9 GiB of GPU memory \(budget 8\.0 GiB\)$/);
  assert.deepEqual(qwen.action, { kind: 'pull', setting: 'model.path', name: 'qwen2.5-coder-1.5b', sizeBytes: 986_000_000 });

  const codestral = item(entries, 'codestral-22b');
  assert.equal(codestral.description, 'completion · ~13.3 GB · too big for the GPU budget');
  assert.match(codestral.detail, /2\.5 GB downloaded; picking it resumes the download/);

  const starcoder = item(entries, 'starcoder2-3b');
  assert.equal(starcoder.description, 'completion · 1.8 GB · fits this GPU');
  assert.deepEqual(starcoder.action, { kind: 'set', setting: 'model.path', value: 'starcoder2-3b', name: 'starcoder2-3b' });

  const instruct = item(entries, 'qwen2.5-coder-1.5b-instruct');
  assert.equal(instruct.description, 'explain (chat) · ~1.1 GB · fits this GPU');
  assert.match(instruct.detail, /^in use for Explain \(infill\.explain\.model\)/);
  assert.deepEqual(instruct.action, { kind: 'set', setting: 'explain.model', value: 'qwen2.5-coder-1.5b-instruct', name: 'qwen2.5-coder-1.5b-instruct' });

  const hf = item(entries, 'qwen2.5-coder-7b-q4_k_m');
  assert.equal(hf.description, 'completion · 4.7 GB · fits this GPU');
  assert.match(hf.detail, /Hugging Face cache: \/hf\/q7\.gguf/);
  assert.equal(hf.action.kind === 'set' && hf.action.setting, 'model.path');
  const ollama = item(entries, 'ollama:llama3:8b');
  assert.equal(ollama.description, 'chat · 4.9 GB · too big for the GPU budget');
  assert.equal(ollama.action.kind === 'set' && ollama.action.setting, 'explain.model', 'a chat model is for Explain');
  assert.equal(item(entries, 'weird').action.kind, 'unusable');

  const embedded = item(entries, 'infill-tiny-code');
  assert.equal(embedded.description, 'completion · 18.7 MB · runs on the CPU');
  assert.match(embedded.detail, /^in use for completions \(infill\.model\.path\)/);
  assert.deepEqual(embedded.action, { kind: 'set', setting: 'model.path', value: undefined, name: 'infill-tiny-code' });
});

test('a malformed result is read without throwing', () => {
  assert.equal(parseModelsResult(null), undefined);
  const result = parseModelsResult({ registry: [{ name: 'x', sizeBytes: 'big' }, { nope: 1 }, 3], found: 'none', errors: ['cannot read the model registry'] })!;
  assert.equal(result.registry.length, 1);
  assert.equal(result.registry[0].sizeBytes, null);
  assert.deepEqual(result.found, []);
  assert.equal(result.embedded, undefined);
  assert.deepEqual(result.errors, ['cannot read the model registry']);
  assert.deepEqual(labels(modelPickEntries(result)), ['-- download', 'x']);
  assert.equal(item(modelPickEntries(result), 'x').description, 'completion · size unknown');
});

test('sizes in decimal units', () => {
  assert.equal(formatSize(18_721_728), '18.7 MB');
  assert.equal(formatSize(398_000_000, true), '~398 MB');
  assert.equal(formatSize(4_680_000_000), '4.7 GB');
  assert.equal(formatSize(null), 'size unknown');
});

test('pull params and result', () => {
  assert.deepEqual(pullParams('qwen2.5-coder-1.5b', 'tok'), { name: 'qwen2.5-coder-1.5b', workDoneToken: 'tok' });
  assert.equal(pulledPath({ name: 'q', path: '/c/q/q.gguf' }), '/c/q/q.gguf');
  assert.equal(pulledPath(null), undefined);
});

test('work-done progress becomes the notification\'s increments', () => {
  const steps = new ProgressSteps();
  assert.deepEqual(steps.next({ kind: 'begin', title: 'Infill', message: 'Downloading q', percentage: 0, cancellable: true }), { message: 'Downloading q' });
  assert.deepEqual(steps.next({ kind: 'report', message: '3.2 of 14.5 MB', percentage: 22 }), { message: '3.2 of 14.5 MB', increment: 22 });
  assert.deepEqual(steps.next({ kind: 'report', message: '7.3 of 14.5 MB', percentage: 50 }), { message: '7.3 of 14.5 MB', increment: 28 });
  assert.deepEqual(steps.next({ kind: 'report', percentage: 40 }), undefined, 'never backwards');
  assert.deepEqual(steps.next({ kind: 'report', percentage: 120 }), { increment: 50 });
  assert.equal(steps.next({ kind: 'end', message: 'Downloaded q' }), undefined);
  assert.equal(steps.next('junk'), undefined);
});

test('the embedded-model notice: once, when the embedded model is ready', () => {
  assert.equal(offersModelChoice({ state: 'ready', embedded: true }, false), true);
  assert.equal(offersModelChoice({ state: 'ready', embedded: true }, true), false, 'shown once per install');
  assert.equal(offersModelChoice({ state: 'loading', embedded: true }, false), false);
  assert.equal(offersModelChoice({ state: 'ready', embedded: false }, false), false);
});
