// The settings the server reads go to it as VS Code holds them: the `infill` section,
// nested (`infill.model.path` -> `{model: {path}}`), in initializationOptions and in
// `workspace/didChangeConfiguration`. The server checks every value against its settings
// schema (lsp_server/settings/schema.py, from which package.json's `configuration` is
// generated), reports bad ones under their names and uses its defaults, so the extension
// passes them through without checking them again.
// Pure: no `vscode` import, so it is unit-tested with node's test runner.

/** The `infill` section as plain JSON: section name -> its settings. */
export type ServerSettings = { [section: string]: unknown };

/** Settings of the extension itself (how it starts the server, tracing): not sent. */
export const EDITOR_ONLY_KEYS = ['serverCommand', 'pythonPath', 'trace'];

/**
 * The object sent to the server from the `infill` section (`workspace.getConfiguration('infill')`):
 * a plain JSON copy (no VS Code proxies or functions) without the extension's own settings.
 */
export function toServerSettings(section: unknown): ServerSettings {
  const plain: unknown = JSON.parse(JSON.stringify(section ?? {}));
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return {};
  const settings: ServerSettings = { ...(plain as ServerSettings) };
  for (const key of EDITOR_ONLY_KEYS) delete settings[key];
  return settings;
}

/**
 * Whether inline completions should be asked for a document of this language: a shortcut
 * that saves a request; the server applies the same two settings itself.
 */
export function completionWanted(settings: ServerSettings, languageId: string): boolean {
  const completion = settings.completion;
  if (typeof completion !== 'object' || completion === null) return true;
  const { enabled, disabledLanguages } = completion as { enabled?: unknown; disabledLanguages?: unknown };
  if (enabled === false) return false;
  return !(Array.isArray(disabledLanguages) && disabledLanguages.includes(languageId));
}
