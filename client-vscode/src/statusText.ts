// How each server state looks in the status bar. Pure, unit-tested.

export type ServerState = 'starting' | 'loading' | 'indexing' | 'ready' | 'disabled' | 'error' | 'stopped';

/** The completion model the server names in `infill/status`. */
export interface StatusModel {
  name: string;
  embedded: boolean;
}

export interface StatusLook {
  /** Status bar text; `$(name)` is a codicon, `~spin` makes it turn. */
  text: string;
  tooltip: string;
  /** Read by screen readers, and by the end-to-end tests to know the state. */
  label: string;
  isError: boolean;
}

const ICONS: Record<ServerState, string> = {
  starting: '$(loading~spin)',
  loading: '$(loading~spin)',
  indexing: '$(sync~spin)',
  ready: '$(check)',
  disabled: '$(circle-slash)',
  error: '$(error)',
  stopped: '$(circle-slash)',
};

const SHORT = 40;
const SHORT_MODEL = 32;

/** The model as the status names it: "qwen2.5-coder-1.5b", "infill-tiny-code (embedded)". */
export function modelText(model: StatusModel | undefined): string {
  if (!model || !model.name) return '';
  return model.embedded ? `${model.name} (embedded)` : model.name;
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

export function statusLook(state: ServerState, message: string, model?: StatusModel): StatusLook {
  const detail = message.trim();
  const named = modelText(model);
  // Keep the bar short: when ready, the model's name; else the message's first part when it is
  // short ("indexing 120/1800 files"), or the state's word. All of it goes to the tooltip.
  const first = detail.split('; ')[0];
  let shown: string;
  // A found model's name can be a path ("Org/Repo-GGUF/file"): its last part says the most.
  if (state === 'ready') shown = named ? `: ${shorten(named.split('/').at(-1) ?? named, SHORT_MODEL)}` : '';
  else shown = ` ${first && first.length <= SHORT ? first : state}`;
  const title = `Infill: ${state}${named ? ` — ${named}` : ''}`;
  return {
    text: `${ICONS[state]} Infill${shown}`,
    tooltip: `${title}${detail ? `\n${detail}` : ''}\nClick to show the log.`,
    label: `${title}${detail ? ` — ${detail}` : ''}`,
    isError: state === 'error' || state === 'stopped',
  };
}
