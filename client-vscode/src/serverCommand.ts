// Decides which command starts the language server. Pure (the file system is passed in),
// so it is unit-tested with node's test runner.
//
// Order: `infill.serverCommand` (the whole command) > `infill.pythonPath` (`<python> -m
// lsp_server serve`) > the `infill` command on PATH (`infill serve`) > `python3 -m lsp_server serve`.
import * as path from 'path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Which setting (or default) chose it; named in error messages. */
  source: 'infill.serverCommand' | 'infill.pythonPath' | 'infill on PATH' | 'default';
}

export interface CommandSettings {
  serverCommand?: unknown;
  pythonPath?: unknown;
}

/** Looks up an executable file; returns its full path or undefined. */
export type ExecutableFinder = (name: string) => string | undefined;

const MODULE_ARGS = ['-m', 'lsp_server', 'serve'];

export function resolveServerCommand(settings: CommandSettings, findExecutable: ExecutableFinder): ServerCommand {
  const custom = settings.serverCommand;
  if (Array.isArray(custom) && custom.length > 0 && custom.every((part) => typeof part === 'string')) {
    const [command, ...args] = custom as string[];
    if (command.trim() !== '') {
      return { command, args, source: 'infill.serverCommand' };
    }
  }
  if (typeof settings.pythonPath === 'string' && settings.pythonPath.trim() !== '') {
    return { command: settings.pythonPath.trim(), args: [...MODULE_ARGS], source: 'infill.pythonPath' };
  }
  const infill = findExecutable('infill');
  if (infill) {
    return { command: infill, args: ['serve'], source: 'infill on PATH' };
  }
  return { command: 'python3', args: [...MODULE_ARGS], source: 'default' };
}

/** The command as one line, for messages and the log. */
export function describeCommand(command: ServerCommand): string {
  return [command.command, ...command.args].map((part) => (/\s/.test(part) ? JSON.stringify(part) : part)).join(' ');
}

/** File-system checks that `makeExecutableFinder` needs; injected so tests need no files. */
export interface FileSystem {
  isExecutableFile(file: string): boolean;
}

/**
 * Returns a finder that resolves a command like a shell would: a name with a slash is
 * checked as it is (relative to `cwd`), a bare name is searched in the PATH directories.
 */
export function makeExecutableFinder(fs: FileSystem, envPath: string | undefined, cwd: string): ExecutableFinder {
  return (name: string) => {
    if (name.includes('/') || name.includes(path.sep)) {
      const full = path.resolve(cwd, name);
      return fs.isExecutableFile(full) ? full : undefined;
    }
    for (const dir of (envPath ?? '').split(path.delimiter)) {
      if (dir === '') continue;
      const full = path.join(dir, name);
      if (fs.isExecutableFile(full)) return full;
    }
    return undefined;
  };
}

/**
 * The server's environment: the editor's, with the server's own log timestamps off
 * (INFILL_LOG_TIMESTAMPS=0): the output channel stamps every line itself.
 */
export function serverEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, INFILL_LOG_TIMESTAMPS: '0' };
}
