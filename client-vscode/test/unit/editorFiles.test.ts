// Unit tests of the predicate that keeps inline completions out of the editor's own files.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEditorOwnFile, userDirFromGlobalStorage } from '../../src/editorFiles';

const file = (path: string) => ({ scheme: 'file', path });
const USER = '/home/me/.config/Code/User';

test("the editor's settings, keybindings, tasks and launch files get no completions", () => {
  assert.equal(isEditorOwnFile({ scheme: 'vscode-userdata', path: '/User/settings.json' }), true);
  assert.equal(isEditorOwnFile({ scheme: 'vscode-userdata', path: '/User/snippets/python.json' }), true);
  for (const name of ['settings.json', 'tasks.json', 'launch.json', 'extensions.json']) {
    assert.equal(isEditorOwnFile(file(`/work/project/.vscode/${name}`)), true, name);
  }
  assert.equal(isEditorOwnFile(file(`${USER}/settings.json`), [USER]), true);
  assert.equal(isEditorOwnFile(file(`${USER}/keybindings.json`), [`${USER}/`]), true);
  assert.equal(isEditorOwnFile(file(`${USER}/profiles/3a1f/settings.json`), [USER]), true);
  assert.equal(isEditorOwnFile(file('/c:/Users/Me/AppData/Roaming/Code/User/settings.json'), ['/C:/Users/Me/AppData/Roaming/Code/User']), true);
});

test('code files, and JSON files of the same names elsewhere, get completions', () => {
  assert.equal(isEditorOwnFile(file('/work/project/main.py')), false);
  assert.equal(isEditorOwnFile(file('/work/project/.vscode/notes.py')), false);
  assert.equal(isEditorOwnFile(file('/work/project/config/settings.json'), [USER]), false);
  assert.equal(isEditorOwnFile(file('/work/project/settings.json')), false);
  assert.equal(isEditorOwnFile({ scheme: 'untitled', path: 'Untitled-1' }), false);
  assert.equal(isEditorOwnFile(file(`${USER}-backup/settings.json`), [USER]), false, 'a folder beside the user folder');
  assert.equal(isEditorOwnFile(file('/settings.json'), ['']), false, 'an empty user folder matches nothing');
});

test('the user data folder is two folders above the global storage', () => {
  assert.equal(userDirFromGlobalStorage(`${USER}/globalStorage/infill.infill`), USER);
  assert.equal(userDirFromGlobalStorage('/srv/code-server/user-data/User/globalStorage/infill.infill/'), '/srv/code-server/user-data/User');
  assert.equal(userDirFromGlobalStorage('/somewhere/else'), undefined);
});
