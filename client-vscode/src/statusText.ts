// How each server state looks in the status bar. Pure, unit-tested.

export type ServerState = 'starting' | 'loading' | 'indexing' | 'ready' | 'error' | 'stopped';

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
  error: '$(error)',
  stopped: '$(circle-slash)',
};

export function statusLook(state: ServerState, message: string): StatusLook {
  const detail = message.trim();
  // Keep the bar short: the state's word (or a short message) in the bar, all of it in the tooltip.
  const shown = state === 'ready' ? '' : ` ${detail && detail.length <= 40 ? detail : state}`;
  return {
    text: `${ICONS[state]} Infill${shown}`,
    tooltip: `Infill: ${state}${detail ? ` — ${detail}` : ''}\nClick to show the log.`,
    label: `Infill: ${state}${detail ? ` — ${detail}` : ''}`,
    isError: state === 'error' || state === 'stopped',
  };
}
