// Streaming an explanation into the panel. While the model writes, the server sends the text
// so far as the notification `infill/explainPartial` {token, markdown} (on the progress token
// the client made for this explanation); the final answer is still the command's result.
// Pure (no `vscode` import), unit-tested.

/** The server's notification with the text so far of an explanation. */
export const EXPLAIN_PARTIAL_NOTIFICATION = 'infill/explainPartial';

export interface ExplainPartial {
  token: string | number;
  markdown: string;
}

/** Reads `infill/explainPartial` params defensively (a malformed message must not throw). */
export function parseExplainPartial(params: unknown): ExplainPartial | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { token, markdown } = params as { token?: unknown; markdown?: unknown };
  if ((typeof token !== 'string' && typeof token !== 'number') || typeof markdown !== 'string') return undefined;
  return { token, markdown };
}

/**
 * Renders only the latest value: while one render runs, newer values replace each other and
 * the last one is rendered next, so a slow Markdown render never queues up stale text.
 * After `close()` nothing more is rendered.
 */
export class LatestOnly<T> {
  private running = false;
  private pending: { value: T } | undefined;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly render: (value: T) => Promise<void>) {}

  push(value: T): void {
    if (this.closed) return;
    if (this.running) {
      this.pending = { value };
      return;
    }
    this.idle = this.run(value);
  }

  /** Resolves when no render is running or waiting. */
  settled(): Promise<void> {
    return this.idle;
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
  }

  private async run(value: T): Promise<void> {
    this.running = true;
    let next: { value: T } | undefined = { value };
    while (next && !this.closed) {
      this.pending = undefined;
      try {
        await this.render(next.value);
      } catch {
        // a failed render leaves the previous text; the next value tries again
      }
      next = this.pending;
    }
    this.running = false;
  }
}
