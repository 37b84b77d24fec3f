// Unit tests of the "Infill: Check Setup" report: parsing, the summary, the log text and the page.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { doctorPageHtml, doctorSummary, doctorText, parseDoctorResult } from '../../src/doctorReport';

const RESULT = {
  checks: [
    { name: 'llama.cpp build', verdict: 'ok', detail: 'llama-cpp-python 0.3.16, CPU backend', fix: '' },
    { name: 'model file', verdict: 'failed', detail: 'not found: /m/<coder>.gguf', fix: 'set infill.model.path to a GGUF file' },
    { name: 'VRAM plan', verdict: 'warning', detail: '19/28 layers on GPU', fix: 'a smaller model' },
    { name: 'remote server', verdict: 'skipped', detail: 'engine.kind is llama_cpp', fix: '' },
  ],
};

test('the doctor result is read defensively', () => {
  const checks = parseDoctorResult(RESULT)!;
  assert.equal(checks.length, 4);
  assert.deepEqual(checks[1], RESULT.checks[1]);
  assert.equal(parseDoctorResult(null), undefined);
  assert.equal(parseDoctorResult({ checks: 'no' }), undefined);
  assert.deepEqual(parseDoctorResult({ checks: [{ verdict: 'bogus' }, 3] }), [{ name: '(unnamed check)', verdict: 'warning', detail: '', fix: '' }]);
});

test('the summary counts the verdicts and names what failed', () => {
  const checks = parseDoctorResult(RESULT)!;
  assert.deepEqual(doctorSummary(checks), { text: 'Infill setup: 1 ok, 1 warning, 1 failed, 1 skipped (model file)', level: 'error' });
  assert.deepEqual(doctorSummary(checks.filter((c) => c.verdict !== 'failed')), {
    text: 'Infill setup: 1 ok, 1 warning, 1 skipped (VRAM plan)',
    level: 'warning',
  });
  assert.deepEqual(doctorSummary([checks[0]]), { text: 'Infill setup: 1 ok', level: 'info' });
});

test('the log text has a mark per check and the fixes', () => {
  const text = doctorText(parseDoctorResult(RESULT)!);
  assert.equal(
    text,
    [
      '✓ llama.cpp build',
      '    llama-cpp-python 0.3.16, CPU backend',
      '✗ model file',
      '    not found: /m/<coder>.gguf',
      '    fix: set infill.model.path to a GGUF file',
      '! VRAM plan',
      '    19/28 layers on GPU',
      '    fix: a smaller model',
      '- remote server (skipped)',
      '    engine.kind is llama_cpp',
      'Infill setup: 1 ok, 1 warning, 1 failed, 1 skipped (model file)',
    ].join('\n'),
  );
});

test('the report page escapes the server text and runs no script', () => {
  const html = doctorPageHtml(parseDoctorResult(RESULT)!, 'NONCE');
  assert.ok(html.includes('not found: /m/&lt;coder&gt;.gguf'));
  assert.ok(!html.includes('<coder>'));
  assert.ok(html.includes("default-src 'none'; style-src 'nonce-NONCE'"));
  assert.ok(!/<script/i.test(html));
  assert.ok(html.includes('data-verdict="failed"') && html.includes('<strong>Fix:</strong> set infill.model.path'));
  assert.ok(html.includes('id="setup-report" data-level="error"'));
});
