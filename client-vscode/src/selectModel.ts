// "Infill: Select Model": a quick pick of the models the server knows (`infill/models`).
// Picking a model on this machine writes `infill.model.path` (or `infill.explain.model` for a
// chat model) to the user settings; the server reloads through its settings-change path.
// Picking a registry model that is not downloaded yet downloads it through the server
// (`infill/pullModel`), shown as a cancellable notification, then writes the setting.
// Also: the one-time notice, while the embedded model is in use, that offers this command.
import * as vscode from 'vscode';
import { randomUUID } from 'crypto';
import { LanguageClient, WorkDoneProgress, WorkDoneProgressCancelNotification } from 'vscode-languageclient/node';
import { StatusParams } from './clientOptions';
import {
  MODELS_REQUEST,
  ModelSetting,
  PULL_REQUEST,
  PickAction,
  ProgressSteps,
  formatSize,
  modelPickEntries,
  offersModelChoice,
  parseModelsResult,
  pullParams,
  pulledPath,
} from './modelChoices';
import { ServerManager } from './serverManager';

export const SELECT_MODEL_COMMAND = 'infill.selectModel';
/** globalState key: the embedded-model notice was shown once on this VS Code install. */
export const EMBEDDED_NOTICE_KEY = 'infill.embeddedModelNoticeShown';

interface ModelPickItem extends vscode.QuickPickItem {
  action?: PickAction;
}

async function runningClientOrWarn(manager: ServerManager): Promise<LanguageClient | undefined> {
  const client = manager.runningClient();
  if (!client) {
    const choice = await vscode.window.showWarningMessage('Infill: the language server is not running.', 'Restart Server');
    if (choice) void manager.restart();
  }
  return client;
}

export async function selectModel(manager: ServerManager): Promise<void> {
  const client = await runningClientOrWarn(manager);
  if (!client) return;
  const picker = vscode.window.createQuickPick<ModelPickItem>();
  picker.title = 'Infill: Select Model';
  picker.placeholder = 'Loading the models…';
  picker.busy = true;
  picker.matchOnDescription = true;
  picker.matchOnDetail = true;
  picker.show();
  try {
    const result = parseModelsResult(await client.sendRequest(MODELS_REQUEST, null));
    if (!result) throw new Error('the server sent no model list');
    manager.log(`models: ${result.registry.length} in the registry, ${result.found.length} found on this machine`);
    for (const error of result.errors) void vscode.window.showWarningMessage(`Infill: ${error}`);
    picker.items = modelPickEntries(result).map((entry) =>
      entry.kind === 'separator'
        ? { label: entry.label, kind: vscode.QuickPickItemKind.Separator }
        : { label: entry.label, description: entry.description, detail: entry.detail, action: entry.action },
    );
    const budget = result.vramBudgetMb ? `; GPU budget ${(result.vramBudgetMb / 1024).toFixed(1)} GiB (infill.model.vramBudgetMb)` : '';
    picker.placeholder = `Pick the model Infill uses${budget}`;
  } catch (error) {
    picker.hide();
    manager.log(`models: ${errorText(error)}`);
    void vscode.window.showErrorMessage(`Infill: cannot list the models: ${errorText(error)}`);
    return;
  } finally {
    picker.busy = false;
  }
  const picked = await new Promise<ModelPickItem | undefined>((resolve) => {
    picker.onDidAccept(() => resolve(picker.selectedItems[0]));
    picker.onDidHide(() => resolve(undefined));
  });
  picker.dispose();
  if (picked?.action) await applyPick(manager, client, picked.action);
}

async function applyPick(manager: ServerManager, client: LanguageClient, action: PickAction): Promise<void> {
  if (action.kind === 'unusable') {
    void vscode.window.showWarningMessage(`Infill: ${action.reason}`);
    return;
  }
  if (action.kind === 'pull') {
    const path = await pullModel(manager, client, action.name, action.sizeBytes);
    if (path === undefined) return;
    await writeSetting(action.setting, action.name, action.name);
    return;
  }
  await writeSetting(action.setting, action.value, action.name);
}

/** Downloads a registry model through the server; its path, or undefined when cancelled or failed. */
export async function pullModel(manager: ServerManager, client: LanguageClient, name: string, sizeBytes: number | null): Promise<string | undefined> {
  const size = sizeBytes ? ` (${formatSize(sizeBytes)})` : '';
  manager.log(`models: downloading ${name}${size}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Infill: downloading ${name}${size}`, cancellable: true },
    async (progress, cancellation) => {
      // The server reports on this token; a cancel goes back on it (the download stops and its
      // partial file stays, so the next pull resumes it).
      const token = randomUUID();
      const steps = new ProgressSteps();
      const listening = client.onProgress(WorkDoneProgress.type, token, (value) => {
        const step = steps.next(value);
        if (step) progress.report(step);
      });
      const cancelling = cancellation.onCancellationRequested(() => {
        manager.log(`models: cancelling the download of ${name}`);
        void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
      });
      try {
        const path = pulledPath(await client.sendRequest(PULL_REQUEST, pullParams(name, token)));
        manager.log(`models: downloaded ${name} to ${path}`);
        return path ?? '';
      } catch (error) {
        if (cancellation.isCancellationRequested) {
          manager.log(`models: the download of ${name} was cancelled`);
          void vscode.window.showInformationMessage(`Infill: the download of ${name} stopped. Pick it again to resume where it stopped.`);
        } else {
          manager.log(`models: downloading ${name} failed: ${errorText(error)}`);
          void vscode.window.showErrorMessage(`Infill: ${errorText(error)}`);
        }
        return undefined;
      } finally {
        listening.dispose();
        cancelling.dispose();
      }
    },
  );
}

/**
 * Writes `infill.<setting>` to the user settings (undefined removes it: the embedded model).
 * A workspace value wins over the user's: then offer to change that one instead.
 */
async function writeSetting(setting: ModelSetting, value: string | undefined, name: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('infill');
  await config.update(setting, value, vscode.ConfigurationTarget.Global);
  const inspected = config.inspect<string>(setting);
  const overriding = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  const what = setting === 'explain.model' ? 'for Explain Selection' : 'for completions';
  if (overriding !== undefined && overriding !== (value ?? '')) {
    const choice = await vscode.window.showWarningMessage(
      `Infill: this workspace sets infill.${setting} to "${overriding}", which wins over your user setting.`,
      'Change the Workspace Setting',
    );
    if (choice) await config.update(setting, value, vscode.ConfigurationTarget.Workspace);
    return;
  }
  void vscode.window.showInformationMessage(`Infill: using ${name} ${what}.`);
}

/**
 * While the embedded model is in use: once per VS Code install (not every start), offer to
 * choose a real model.
 */
export function offerModelChoiceOnce(context: vscode.ExtensionContext, status: StatusParams): void {
  if (!offersModelChoice(status, context.globalState.get<boolean>(EMBEDDED_NOTICE_KEY, false))) return;
  void context.globalState.update(EMBEDDED_NOTICE_KEY, true);
  void vscode.window
    .showInformationMessage(
      'Infill is using its small embedded model, made for trying Infill out. A real code model completes far better.',
      'Choose a model',
      'Not now',
    )
    .then((choice) => {
      if (choice === 'Choose a model') void vscode.commands.executeCommand(SELECT_MODEL_COMMAND);
    });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
