// Entry point of the Infill extension: wires the status bar, the language server and the
// three commands. The work is in serverManager.ts (process, restarts, settings) and
// explain.ts (the Explain Selection command); inline completions and hover come from the
// language client's built-in features.
import * as vscode from 'vscode';
import { ExplainPanel } from './explainPanel';
import { explainSelection } from './explain';
import { ServerManager } from './serverManager';
import { StatusBar } from './status';

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Infill', { log: true });
  const status = new StatusBar();
  const panel = new ExplainPanel();
  manager = new ServerManager(output, status);
  const server = manager;

  context.subscriptions.push(
    output,
    status,
    panel,
    // Not "infill.explain": that id is the server's command, registered by the client itself.
    vscode.commands.registerCommand('infill.explainSelection', () => explainSelection(server, panel)),
    vscode.commands.registerCommand('infill.restartServer', () => server.restart()),
    vscode.commands.registerCommand('infill.showLog', () => output.show(true)),
  );
  // Don't await: activation must not wait for the model to load.
  void server.start();
}

export async function deactivate(): Promise<void> {
  await manager?.dispose();
  manager = undefined;
}
