// The parts of the language client's options that are plain data, built by pure functions
// (only type imports), so they are unit-tested with node's test runner.
import type { DocumentSelector } from 'vscode-languageclient';
import { ServerSettings } from './settings';

/** Every file on disk and every unsaved editor; the server decides what it can complete. */
export const DOCUMENT_SELECTOR: DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];

/** The id of the server command that explains a range (`workspace/executeCommand`). */
export const SERVER_EXPLAIN_COMMAND = 'infill.explain';

/** The custom notification the server sends about its state. */
export const STATUS_NOTIFICATION = 'infill/status';

export interface StatusParams {
  state: 'loading' | 'ready' | 'error' | 'indexing' | 'disabled';
  message: string;
  /** The completion model in use, by the name the user knows it ("" when none, e.g. engine kind none). */
  model: string;
  /** Whether that is Infill's small embedded model. */
  embedded: boolean;
}

const STATUS_STATES: readonly StatusParams['state'][] = ['loading', 'ready', 'error', 'indexing', 'disabled'];

/** Reads `infill/status` params defensively (a malformed message must not throw). */
export function parseStatusParams(params: unknown): StatusParams | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { state, message, model, embedded } = params as Record<string, unknown>;
  if (!STATUS_STATES.includes(state as StatusParams['state'])) return undefined;
  return {
    state: state as StatusParams['state'],
    message: typeof message === 'string' ? message : '',
    model: typeof model === 'string' ? model : '',
    embedded: embedded === true,
  };
}

/** What `initialize` carries: the settings, nested the way the server reads them. */
export function initializationOptions(settings: ServerSettings): { [key: string]: unknown } {
  return { ...settings };
}

/** The `workspace/didChangeConfiguration` params: `{settings: {infill: {...}}}`. */
export function configurationChangeParams(settings: ServerSettings): { settings: { infill: ServerSettings } } {
  return { settings: { infill: settings } };
}

/** LSP position and range, zero-based, columns in UTF-16 code units (as VS Code counts). */
export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/**
 * The arguments of `infill.explain`: one object with the document URI and the range.
 * `workDoneToken` repeats the token of ExecuteCommandParams inside the argument, because
 * pygls hands a command handler its arguments only: the server can report progress with
 * `ls.work_done_progress.begin(token, ...)` on it (no `create` needed, the client made it).
 */
export function explainArguments(uri: string, range: LspRange, workDoneToken?: string): [{ uri: string; range: LspRange; workDoneToken?: string }] {
  return [workDoneToken === undefined ? { uri, range } : { uri, range, workDoneToken }];
}

/** The Markdown text from the result of `infill.explain` (`{markdown}`; a bare string is accepted too). */
export function explainMarkdown(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (typeof result === 'object' && result !== null && typeof (result as { markdown?: unknown }).markdown === 'string') {
    return (result as { markdown: string }).markdown;
  }
  return undefined;
}
