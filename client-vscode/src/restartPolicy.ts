// When the server dies: restart it a few times, then give up and say why.
// Pure (the clock is passed in), so it is unit-tested with node's test runner.

/** Counts the server's deaths within a sliding time window. */
export class RestartPolicy {
  private deaths: number[] = [];

  constructor(
    /** Restarts allowed within `windowMs`; one more death gives up. */
    readonly maxRestarts = 3,
    readonly windowMs = 3 * 60_000,
  ) {}

  /** Records a death at `now` (ms) and says whether to restart once more. */
  recordDeath(now: number): { restart: boolean; deaths: number } {
    this.deaths = this.deaths.filter((time) => now - time < this.windowMs);
    this.deaths.push(now);
    return { restart: this.deaths.length <= this.maxRestarts, deaths: this.deaths.length };
  }

  /** Forgets past deaths (the user asked for a restart). */
  reset(): void {
    this.deaths = [];
  }

  /** Milliseconds to wait before the n-th restart (1, 2, 3...): 0.5 s, 1 s, 2 s, at most 5 s. */
  delayMs(deaths: number): number {
    return Math.min(5_000, 500 * 2 ** Math.max(0, deaths - 1));
  }
}

/** What we know about a server process that ended. */
export interface ProcessEnd {
  /** Exit code, or null when killed by a signal or unknown. */
  code: number | null;
  signal: string | null;
  /** The last lines the server wrote to stderr. */
  stderrTail: string[];
  /** An error from starting it (e.g. spawn ENOENT) or from the connection. */
  error?: string;
}

/** One sentence for the user: why the server stopped, from the best evidence at hand. */
export function describeEnd(end: ProcessEnd): string {
  const parts: string[] = [];
  if (end.code !== null) {
    parts.push(`exited with code ${end.code}`);
  } else if (end.signal) {
    parts.push(`was killed by ${end.signal}`);
  } else if (end.error) {
    parts.push(`failed: ${end.error}`);
  } else {
    parts.push('closed the connection');
  }
  // The last meaningful stderr line usually names the cause
  // (e.g. "ModuleNotFoundError: No module named 'lsp_server'").
  const last = [...end.stderrTail].reverse().find((line) => line.trim() !== '');
  if (last) {
    parts.push(`last message: "${truncate(last.trim(), 200)}"`);
  }
  return parts.join('; ');
}

/** Keeps the last `limit` lines of a text stream that arrives in chunks. */
export class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly limit = 20) {}

  push(chunk: string): void {
    const pieces = (this.partial + chunk).split(/\r?\n/);
    this.partial = pieces.pop() ?? '';
    this.lines.push(...pieces);
    if (this.lines.length > this.limit) {
      this.lines = this.lines.slice(-this.limit);
    }
  }

  get(): string[] {
    return this.partial === '' ? [...this.lines] : [...this.lines, this.partial].slice(-this.limit);
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
