// Unit tests of streaming an explanation into the panel: the notification's params, rendering
// only the latest text, and the running page's place for it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EXPLAIN_PARTIAL_NOTIFICATION, LatestOnly, parseExplainPartial } from '../../src/explainStream';
import { explainPageHtml } from '../../src/explainHtml';

test('infill/explainPartial params are checked', () => {
  assert.equal(EXPLAIN_PARTIAL_NOTIFICATION, 'infill/explainPartial');
  assert.deepEqual(parseExplainPartial({ token: 't-1', markdown: 'So far' }), { token: 't-1', markdown: 'So far' });
  assert.deepEqual(parseExplainPartial({ token: 7, markdown: '' }), { token: 7, markdown: '' });
  assert.equal(parseExplainPartial({ token: 't-1' }), undefined);
  assert.equal(parseExplainPartial({ token: null, markdown: 'x' }), undefined);
  assert.equal(parseExplainPartial('text'), undefined);
  assert.equal(parseExplainPartial(null), undefined);
});

/** A render that waits until released, recording what it was given. */
function gatedRenderer() {
  const rendered: string[] = [];
  const gates: (() => void)[] = [];
  const render = (value: string) =>
    new Promise<void>((resolve) => {
      rendered.push(value);
      gates.push(resolve);
    });
  const release = async () => {
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { rendered, render, release };
}

test('while one text renders, only the newest waiting text is rendered next', async () => {
  const { rendered, render, release } = gatedRenderer();
  const latest = new LatestOnly<string>(render);
  latest.push('a');
  latest.push('ab');
  latest.push('abc');
  assert.deepEqual(rendered, ['a']);
  await release();
  assert.deepEqual(rendered, ['a', 'abc']);
  await release();
  await latest.settled();
  latest.push('abcd');
  assert.deepEqual(rendered, ['a', 'abc', 'abcd']);
  await release();
});

test('after close nothing more is rendered, and a failed render does not stop the next', async () => {
  const { rendered, render, release } = gatedRenderer();
  const latest = new LatestOnly<string>(render);
  latest.push('a');
  latest.push('ab');
  latest.close();
  await release();
  latest.push('abc');
  assert.deepEqual(rendered, ['a']);

  const seen: string[] = [];
  const flaky = new LatestOnly<string>(async (value) => {
    seen.push(value);
    if (value === 'bad') throw new Error('render failed');
  });
  flaky.push('bad');
  await flaky.settled();
  flaky.push('good');
  await flaky.settled();
  assert.deepEqual(seen, ['bad', 'good']);
});

test('the running page has a hidden place for the text so far, filled by its own script', () => {
  const running = explainPageHtml({ state: 'running', title: 't' }, 'N', 'x');
  assert.ok(running.includes('<div id="partial" class="partial" hidden></div>'));
  assert.ok(running.includes("data.type === 'partial'"));
  assert.ok(running.indexOf('id="cancel"') < running.indexOf('id="partial"'), 'Cancel stays above the growing text');
  const done = explainPageHtml({ state: 'done', title: 't', answerHtml: '<p>answer</p>' }, 'N', 'x');
  assert.ok(!done.includes('id="partial"'), 'a late part has nowhere to go once the answer is shown');
});
