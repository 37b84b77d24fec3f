// Starts the language server, watches it, restarts it when it dies (a few times), and
// tells the user why when it gives up. A fresh LanguageClient is made for every start:
// simpler than reviving a client whose start failed.
import * as vscode from 'vscode';
import * as fs from 'fs';
import { spawn } from 'child_process';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
} from 'vscode-languageclient/node';
import { DOCUMENT_SELECTOR, STATUS_NOTIFICATION, StatusParams, configurationChangeParams, initializationOptions, parseStatusParams } from './clientOptions';
import { isEditorOwnFile } from './editorFiles';
import { RestartPolicy, LineTail, ProcessEnd, describeEnd } from './restartPolicy';
import { ServerCommand, describeCommand, makeExecutableFinder, resolveServerCommand, serverEnvironment } from './serverCommand';
import { completionWanted, toServerSettings } from './settings';
import { StatusBar } from './status';

export function readSettings() {
  return toServerSettings(vscode.workspace.getConfiguration('infill'));
}

const findExecutable = makeExecutableFinder(
  {
    isExecutableFile: (file) => {
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
      } catch {
        return false;
      }
    },
  },
  process.env.PATH,
  vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd(),
);

/** Starts the process ourselves, to keep the end of its stderr and learn its exit code. */
function spawnServer(command: ServerCommand, stderr: LineTail, reportEnd: (end: ProcessEnd) => void) {
  const child = spawn(command.command, command.args, { stdio: 'pipe', env: serverEnvironment(process.env) });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  child.on('exit', (code, signal) => reportEnd({ code, signal, stderrTail: stderr.get() }));
  return new Promise<typeof child>((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', (error) => {
      reportEnd({ code: null, signal: null, stderrTail: [], error: error.message });
      reject(error);
    });
  });
}

/**
 * The library's client, except that it never pops up its own error notifications: this
 * manager reports every failed start and every death itself, once, with a Restart button.
 * (The messages still go to the output channel.)
 */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
    super.error(message, data, showNotification === 'force' ? false : showNotification);
  }
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  /** Bumped on every start and stop, so that events of an old client are ignored. */
  private generation = 0;
  private readonly policy = new RestartPolicy();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusEmitter = new vscode.EventEmitter<StatusParams>();
  /** Every `infill/status` of the running server (the embedded-model notice listens). */
  readonly onStatus = this.statusEmitter.event;

  /** `userDirs`: the user data folders, whose settings files get no completions. */
  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly status: StatusBar,
    private readonly userDirs: readonly string[] = [],
  ) {
    this.disposables.push(this.statusEmitter);
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('infill.serverCommand') || event.affectsConfiguration('infill.pythonPath')) {
          void this.restart();
        } else if (event.affectsConfiguration('infill') && this.client?.isRunning()) {
          void this.client.sendNotification(DidChangeConfigurationNotification.type, configurationChangeParams(readSettings()));
        }
      }),
    );
  }

  /** A line in the Infill output channel. */
  log(message: string): void {
    this.output.info(`[infill] ${message}`);
  }

  showLog(): void {
    this.output.show(true);
  }

  /** The client, when it is running (for commands that send requests). */
  runningClient(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** "Infill: Restart Server": forget past crashes and start again. */
  async restart(): Promise<void> {
    this.policy.reset();
    await this.stop();
    await this.start();
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    const config = vscode.workspace.getConfiguration('infill');
    const command = resolveServerCommand({ serverCommand: config.get('serverCommand'), pythonPath: config.get('pythonPath') }, findExecutable);
    if (!findExecutable(command.command)) {
      this.giveUp(`the command "${command.command}" (from ${command.source}) was not found. Install Infill (scripts/setup.sh in a clone of its repository) or set "infill.serverCommand" or "infill.pythonPath".`);
      return;
    }
    this.log(`starting: ${describeCommand(command)}`);
    this.status.set('starting', 'starting the server');

    const stderr = new LineTail();
    let reportEnd: (end: ProcessEnd) => void = () => undefined;
    const ended = new Promise<ProcessEnd>((resolve) => (reportEnd = resolve));
    const client = new QuietLanguageClient('infill', 'Infill', () => spawnServer(command, stderr, reportEnd), this.clientOptions(generation, stderr, ended));
    this.client = client;
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      const status = parseStatusParams(params);
      if (status && generation === this.generation) {
        this.status.set(status.state, status.message, { name: status.model, embedded: status.embedded });
        this.statusEmitter.fire(status);
      }
    });
    try {
      await client.start();
      const capabilities = client.initializeResult?.capabilities;
      this.log(
        `server running; it provides: inline completion ${capabilities?.inlineCompletionProvider ? 'yes' : 'no'}, ` +
          `hover ${capabilities?.hoverProvider ? 'yes' : 'no'}, commands [${capabilities?.executeCommandProvider?.commands.join(', ') ?? ''}]`,
      );
      if (generation === this.generation && this.status.state === 'starting') this.status.set('ready', 'server running');
    } catch (error) {
      void this.serverDied(generation, stderr, ended, error);
    }
  }

  private clientOptions(generation: number, stderr: LineTail, ended: Promise<ProcessEnd>): LanguageClientOptions {
    return {
      documentSelector: DOCUMENT_SELECTOR,
      initializationOptions: initializationOptions(readSettings()),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Failed initialization: stop quietly; `start()` rejects and serverDied() explains.
      initializationFailedHandler: () => false,
      errorHandler: {
        error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: () => {
          void this.serverDied(generation, stderr, ended);
          // "Don't restart" tells the library to leave it to us: serverDied() decides.
          return { action: CloseAction.DoNotRestart, handled: true, message: 'The connection to the server closed.' };
        },
      },
      middleware: {
        // Don't even ask the server when completions are off for this language, or in the
        // editor's own settings files.
        provideInlineCompletionItems: (document, position, context, token, next) =>
          completionWanted(readSettings(), document.languageId) && !isEditorOwnFile(document.uri, this.userDirs)
            ? next(document, position, context, token)
            : null,
      },
    };
  }

  private handledGeneration = 0;

  /** The process or its connection ended: restart it, or give up after a few times. */
  private async serverDied(generation: number, stderr: LineTail, ended: Promise<ProcessEnd>, error?: unknown): Promise<void> {
    if (generation !== this.generation || this.handledGeneration === generation) return; // stopped on purpose, or already handled
    this.handledGeneration = generation;
    // The connection often closes a moment before the process has exited: wait a little for its code.
    const timeout = new Promise<ProcessEnd>((resolve) => setTimeout(() => resolve({ code: null, signal: null, stderrTail: stderr.get() }), 2000));
    const end = await Promise.race([ended, timeout]);
    if (error instanceof Error && end.code === null && !end.signal && !end.error) end.error = error.message;
    const why = describeEnd(end);
    this.log(`the server stopped: ${why}`);
    this.discardClient();
    const { restart, deaths } = this.policy.recordDeath(Date.now());
    if (restart) {
      this.status.set('starting', `restarting (${deaths}/${this.policy.maxRestarts})`);
      setTimeout(() => {
        if (generation === this.generation) void this.start();
      }, this.policy.delayMs(deaths));
    } else {
      this.giveUp(`the language server stopped ${deaths} times and will not be restarted: ${why}`);
    }
  }

  /** Frees a client whose server is gone (its successor, if any, is a new client). */
  private discardClient(): void {
    const dead = this.client;
    this.client = undefined;
    dead?.dispose(1000).catch(() => undefined);
  }

  /** Error in the status bar and a message with a Restart button. */
  private giveUp(reason: string): void {
    this.discardClient();
    this.status.set('error', 'server not running');
    this.log(`${reason}`);
    void vscode.window.showErrorMessage(`Infill: ${reason}`, 'Restart', 'Show Log').then((choice) => {
      if (choice === 'Restart') void this.restart();
      if (choice === 'Show Log') this.output.show(true);
    });
  }

  async stop(): Promise<void> {
    this.generation++;
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(2000);
      } catch {
        // already stopped or never started
      }
      await client.dispose(2000).catch(() => undefined);
    }
    this.status.set('stopped', 'server stopped');
  }

  async dispose(): Promise<void> {
    this.disposables.forEach((d) => d.dispose());
    await this.stop();
  }
}
