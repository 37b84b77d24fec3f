// Unit tests of how the server's command line is chosen.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeCommand, makeExecutableFinder, resolveServerCommand, serverEnvironment } from '../../src/serverCommand';

const nothingOnPath = () => undefined;
const infillOnPath = (name: string) => (name === 'infill' ? '/usr/local/bin/infill' : undefined);

test('infill.serverCommand wins over everything', () => {
  const command = resolveServerCommand({ serverCommand: ['/venv/bin/python', '-m', 'lsp_server', 'serve'], pythonPath: '/usr/bin/python3' }, infillOnPath);
  assert.deepEqual(command, { command: '/venv/bin/python', args: ['-m', 'lsp_server', 'serve'], source: 'infill.serverCommand' });
});

test('infill.pythonPath runs the module', () => {
  const command = resolveServerCommand({ serverCommand: null, pythonPath: '/venv/bin/python' }, infillOnPath);
  assert.deepEqual(command, { command: '/venv/bin/python', args: ['-m', 'lsp_server', 'serve'], source: 'infill.pythonPath' });
});

test('the infill command on PATH is the default', () => {
  assert.deepEqual(resolveServerCommand({}, infillOnPath), { command: '/usr/local/bin/infill', args: ['serve'], source: 'infill on PATH' });
});

test('without infill on PATH: python3 -m lsp_server serve', () => {
  assert.deepEqual(resolveServerCommand({}, nothingOnPath), { command: 'python3', args: ['-m', 'lsp_server', 'serve'], source: 'default' });
});

test('empty or malformed settings are ignored', () => {
  for (const serverCommand of [[], [''], ['ok', 3], 'python -m lsp_server', null]) {
    const command = resolveServerCommand({ serverCommand, pythonPath: '  ' }, nothingOnPath);
    assert.equal(command.source, 'default', JSON.stringify(serverCommand));
  }
});

test('describeCommand quotes parts with spaces', () => {
  assert.equal(describeCommand({ command: '/my venv/python', args: ['-m', 'lsp_server'], source: 'infill.pythonPath' }), '"/my venv/python" -m lsp_server');
});

test('the finder searches PATH for bare names and checks paths as they are', () => {
  const files = new Set(['/usr/bin/python3', '/opt/venv/bin/python', '/work/tools/serve.sh']);
  const find = makeExecutableFinder({ isExecutableFile: (file) => files.has(file) }, '/usr/local/bin::/usr/bin', '/work');
  assert.equal(find('python3'), '/usr/bin/python3');
  assert.equal(find('infill'), undefined);
  assert.equal(find('/opt/venv/bin/python'), '/opt/venv/bin/python');
  assert.equal(find('./tools/serve.sh'), '/work/tools/serve.sh');
  assert.equal(find('/missing/python'), undefined);
});

test('the server logs without its own timestamps: the output channel adds them', () => {
  const base = { PATH: '/usr/bin', INFILL_REGISTRY: '/r.json' };
  assert.deepEqual(serverEnvironment(base), { PATH: '/usr/bin', INFILL_REGISTRY: '/r.json', INFILL_LOG_TIMESTAMPS: '0' });
  assert.equal('INFILL_LOG_TIMESTAMPS' in base, false, 'the editor\'s environment is not changed');
});
