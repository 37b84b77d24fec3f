// The side panel that shows an explanation. One panel, reused; closing it cancels the request.
import * as vscode from 'vscode';
import { randomBytes } from 'crypto';
import { ExplainView, explainPageHtml, plainTextHtml } from './explainHtml';

export class ExplainPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private onCancel: (() => void) | undefined;

  /** Opens (or reuses) the panel beside the editor; `onCancel` runs on Cancel or on close. */
  open(title: string, onCancel: () => void): void {
    this.onCancel?.(); // a new explanation replaces (and cancels) the previous one
    this.onCancel = onCancel;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'infill.explain',
        'Infill: Explain',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, localResourceRoots: [] },
      );
      this.panel.webview.onDidReceiveMessage((message: { type?: string }) => {
        if (message?.type === 'cancel') this.cancel();
      });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.cancel();
      });
    } else {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.show({ state: 'running', title });
  }

  /** Shows the model's Markdown, rendered by VS Code's built-in Markdown extension. */
  async showAnswer(title: string, markdown: string): Promise<void> {
    this.onCancel = undefined;
    let answerHtml: string;
    try {
      answerHtml = await vscode.commands.executeCommand<string>('markdown.api.render', markdown);
    } catch {
      answerHtml = plainTextHtml(markdown); // the Markdown extension is disabled
    }
    this.show({ state: 'done', title, answerHtml: answerHtml || plainTextHtml(markdown) });
  }

  /** Updates the progress line of the running page, without rebuilding it. */
  showProgress(text: string): void {
    void this.panel?.webview.postMessage({ type: 'progress', text });
  }

  show(view: ExplainView): void {
    if (view.state !== 'running') this.onCancel = undefined;
    if (!this.panel) return;
    const nonce = randomBytes(16).toString('base64');
    this.panel.webview.html = explainPageHtml(view, nonce, this.panel.webview.cspSource);
  }

  private cancel(): void {
    const cancel = this.onCancel;
    this.onCancel = undefined;
    cancel?.();
  }

  dispose(): void {
    this.cancel();
    this.panel?.dispose();
  }
}
