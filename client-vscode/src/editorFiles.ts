// The editor's own files: user settings and keybindings, and a workspace's .vscode/settings.json,
// tasks.json and launch.json. Inline completions are not offered there (a ghost `"` inside a
// path string in settings.json helps nobody). The document selector cannot say "not", so the
// language client's middleware asks this predicate. Pure (no `vscode` import), unit-tested.

/** Files VS Code keeps its own configuration in. */
export const EDITOR_FILE_NAMES = ['settings.json', 'keybindings.json', 'tasks.json', 'launch.json', 'extensions.json'];

/** The parts of a URI this needs (a vscode.Uri has them). */
export interface UriLike {
  scheme: string;
  /** The path, with forward slashes (a URI's path, also on Windows). */
  path: string;
}

/**
 * Whether `uri` is one of the editor's own files. `userDirs` are the user data folders' paths
 * (the "User" folder that holds settings.json; profiles live below it), as URI paths.
 */
export function isEditorOwnFile(uri: UriLike, userDirs: readonly string[] = []): boolean {
  if (uri.scheme === 'vscode-userdata') return true;
  const parts = uri.path.split('/').filter((part) => part !== '');
  const name = (parts.at(-1) ?? '').toLowerCase();
  if (!EDITOR_FILE_NAMES.includes(name)) return false;
  if (parts.at(-2) === '.vscode') return true;
  const path = uri.path.toLowerCase();
  return userDirs.some((dir) => {
    const folder = dir.toLowerCase().replace(/\/+$/, '');
    return folder !== '' && path.startsWith(`${folder}/`);
  });
}

/**
 * The user data folder from the extension's global storage path
 * (`<user data>/User/globalStorage/<extension id>`): two folders up.
 */
export function userDirFromGlobalStorage(globalStoragePath: string): string | undefined {
  const parts = globalStoragePath.replace(/\/+$/, '').split('/');
  if (parts.length < 3 || parts.at(-2) !== 'globalStorage') return undefined;
  return parts.slice(0, -2).join('/');
}
