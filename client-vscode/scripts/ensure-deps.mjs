// Runs `npm ci` when a dependency in package.json is missing from node_modules (a fresh
// clone has none), so that `npm run package` works from a fresh clone. Run by npm before
// `package` (the "prepackage" script); quick when everything is in place.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(fs.readFileSync(path.join(clientDir, 'package.json'), 'utf8'));
const wanted = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
const missing = wanted.filter((name) => !fs.existsSync(path.join(clientDir, 'node_modules', name, 'package.json')));

if (missing.length > 0) {
  console.log(`missing from node_modules: ${missing.join(', ')}; running npm ci`);
  // npm's own path when npm runs this script; plain "npm" otherwise.
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'ci']] : ['npm', ['ci']];
  execFileSync(command, args, { cwd: clientDir, stdio: 'inherit' });
}
