// "Infill: Check Setup": runs the server's checks (`infill/doctor`: llama.cpp build, model
// file, FIM tokens, GPU plan, remote server, a self-test, the index, rejected settings) and
// shows them in a panel, each with its verdict, details and fix; the same lines go to the log,
// and a message sums them up.
import * as vscode from 'vscode';
import { randomBytes } from 'crypto';
import { DOCTOR_REQUEST, doctorPageHtml, doctorSummary, doctorText, parseDoctorResult } from './doctorReport';
import { ServerManager } from './serverManager';

export const CHECK_SETUP_COMMAND = 'infill.checkSetup';

/** The report panel: one, reused. */
export class SetupReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  show(html: string): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('infill.setupCheck', 'Infill: Setup Check', vscode.ViewColumn.Active, {
        enableScripts: false,
        localResourceRoots: [],
      });
      this.panel.onDidDispose(() => (this.panel = undefined));
    } else {
      this.panel.reveal();
    }
    this.panel.webview.html = html;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

export async function checkSetup(manager: ServerManager, panel: SetupReportPanel): Promise<void> {
  const client = manager.runningClient();
  if (!client) {
    const choice = await vscode.window.showWarningMessage('Infill: the language server is not running, so the setup cannot be checked.', 'Restart Server');
    if (choice) void manager.restart();
    return;
  }
  manager.log(`check setup: sending ${DOCTOR_REQUEST}`);
  let result: unknown;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Infill: checking the setup' },
      () => client.sendRequest(DOCTOR_REQUEST, null),
    );
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    manager.log(`check setup failed: ${text}`);
    void vscode.window.showErrorMessage(`Infill: the setup check failed: ${text}`);
    return;
  }
  const checks = parseDoctorResult(result);
  if (!checks) {
    void vscode.window.showErrorMessage('Infill: the server sent no setup checks.');
    return;
  }
  panel.show(doctorPageHtml(checks, randomBytes(16).toString('base64')));
  manager.log(`check setup:\n${doctorText(checks)}`);
  const summary = doctorSummary(checks);
  const shown =
    summary.level === 'error'
      ? vscode.window.showErrorMessage(summary.text, 'Show Log')
      : summary.level === 'warning'
        ? vscode.window.showWarningMessage(summary.text, 'Show Log')
        : vscode.window.showInformationMessage(summary.text, 'Show Log');
  void shown.then((choice) => {
    if (choice) manager.showLog();
  });
}
