// The side panel that shows an explanation. One panel, reused; closing it cancels the request.
import * as vscode from 'vscode';
import { randomBytes } from 'crypto';
import { ExplainView, explainPageHtml, plainTextHtml } from './explainHtml';

export class ExplainPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private onCancel: (() => void) | undefined;
  private run = 0; // which explanation the page shows
  private running = false;

  /**
   * Opens (or reuses) the panel beside the editor; `onCancel` runs on Cancel or on close.
   * Returns the explanation's number, for `showPartial`.
   */
  open(title: string, onCancel: () => void): number {
    this.onCancel?.(); // a new explanation replaces (and cancels) the previous one
    this.onCancel = onCancel;
    this.run += 1;
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
    return this.run;
  }

  /** Shows the text so far of explanation `run` below the progress line, while it runs. */
  async showPartial(run: number, markdown: string): Promise<void> {
    const html = await renderMarkdown(markdown);
    // The answer, or another explanation, may have replaced the page while it rendered.
    if (run === this.run && this.running) {
      await this.panel?.webview.postMessage({ type: 'partial', html });
    }
  }

  /** Shows the model's Markdown, rendered by VS Code's built-in Markdown extension. */
  async showAnswer(title: string, markdown: string): Promise<void> {
    this.onCancel = undefined;
    this.running = false; // no text so far over the answer
    this.show({ state: 'done', title, answerHtml: await renderMarkdown(markdown) });
  }

  /** Updates the progress line of the running page, without rebuilding it. */
  showProgress(text: string): void {
    void this.panel?.webview.postMessage({ type: 'progress', text });
  }

  show(view: ExplainView): void {
    this.running = view.state === 'running';
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

/** HTML of Markdown by VS Code's built-in Markdown extension, or the escaped text without it. */
async function renderMarkdown(markdown: string): Promise<string> {
  try {
    const html = await vscode.commands.executeCommand<string>('markdown.api.render', markdown);
    if (html) return html;
  } catch {
    // the Markdown extension is disabled
  }
  return plainTextHtml(markdown);
}
