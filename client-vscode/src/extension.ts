// Entry point of the Infill extension: wires the status bar, the language server and the
// commands. The work is in serverManager.ts (process, restarts, settings), explain.ts
// (Explain Selection), selectModel.ts (Select Model, downloads, the embedded-model notice)
// and checkSetup.ts (Check Setup); inline completions and hover come from the language
// client's built-in features.
import * as vscode from 'vscode';
import { CHECK_SETUP_COMMAND, SetupReportPanel, checkSetup } from './checkSetup';
import { userDirFromGlobalStorage } from './editorFiles';
import { ExplainPanel } from './explainPanel';
import { explainSelection } from './explain';
import { SELECT_MODEL_COMMAND, offerModelChoiceOnce, selectModel } from './selectModel';
import { ServerManager } from './serverManager';
import { StatusBar } from './status';

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Infill', { log: true });
  const status = new StatusBar();
  const panel = new ExplainPanel();
  const report = new SetupReportPanel();
  const userDir = userDirFromGlobalStorage(context.globalStorageUri.path);
  manager = new ServerManager(output, status, userDir ? [userDir] : []);
  const server = manager;

  context.subscriptions.push(
    output,
    status,
    panel,
    report,
    // Not "infill.explain": that id is the server's command, registered by the client itself.
    vscode.commands.registerCommand('infill.explainSelection', () => explainSelection(server, panel)),
    vscode.commands.registerCommand(SELECT_MODEL_COMMAND, () => selectModel(server)),
    vscode.commands.registerCommand(CHECK_SETUP_COMMAND, () => checkSetup(server, report)),
    vscode.commands.registerCommand('infill.restartServer', () => server.restart()),
    vscode.commands.registerCommand('infill.showLog', () => output.show(true)),
    server.onStatus((params) => offerModelChoiceOnce(context, params)),
  );
  // Don't await: activation must not wait for the model to load.
  void server.start();
}

export async function deactivate(): Promise<void> {
  await manager?.dispose();
  manager = undefined;
}
