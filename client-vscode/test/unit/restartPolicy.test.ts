// Unit tests of the restart policy and of the "why did it stop" sentence.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LineTail, RestartPolicy, describeEnd } from '../../src/restartPolicy';

test('restarts three times, then gives up', () => {
  const policy = new RestartPolicy(3, 60_000);
  assert.deepEqual(policy.recordDeath(0), { restart: true, deaths: 1 });
  assert.deepEqual(policy.recordDeath(1000), { restart: true, deaths: 2 });
  assert.deepEqual(policy.recordDeath(2000), { restart: true, deaths: 3 });
  assert.deepEqual(policy.recordDeath(3000), { restart: false, deaths: 4 });
});

test('deaths older than the window are forgotten', () => {
  const policy = new RestartPolicy(1, 60_000);
  assert.equal(policy.recordDeath(0).restart, true);
  assert.equal(policy.recordDeath(61_000).restart, true);
  assert.equal(policy.recordDeath(62_000).restart, false);
});

test('reset forgets everything', () => {
  const policy = new RestartPolicy(1, 60_000);
  policy.recordDeath(0);
  policy.recordDeath(1);
  policy.reset();
  assert.equal(policy.recordDeath(2).restart, true);
});

test('the delay grows and is capped', () => {
  const policy = new RestartPolicy();
  assert.deepEqual([1, 2, 3, 4, 10].map((n) => policy.delayMs(n)), [500, 1000, 2000, 4000, 5000]);
});

test('describeEnd names the exit code and the last stderr line', () => {
  const text = describeEnd({ code: 1, signal: null, stderrTail: ['Traceback (most recent call last):', "ModuleNotFoundError: No module named 'lsp_server'", ''] });
  assert.equal(text, `exited with code 1; last message: "ModuleNotFoundError: No module named 'lsp_server'"`);
});

test('describeEnd for a signal, a spawn error, and nothing known', () => {
  assert.equal(describeEnd({ code: null, signal: 'SIGKILL', stderrTail: [] }), 'was killed by SIGKILL');
  assert.equal(describeEnd({ code: null, signal: null, stderrTail: [], error: 'spawn nope ENOENT' }), 'failed: spawn nope ENOENT');
  assert.equal(describeEnd({ code: null, signal: null, stderrTail: [] }), 'closed the connection');
});

test('LineTail keeps the last lines across chunk boundaries', () => {
  const tail = new LineTail(2);
  tail.push('one\ntw');
  tail.push('o\nthree\nfou');
  assert.deepEqual(tail.get(), ['three', 'fou']);
  tail.push('r\n');
  assert.deepEqual(tail.get(), ['three', 'four']);
});
