// "Infill: Explain Selection": sends the selection to the server command `infill.explain`
// and shows the Markdown answer in the side panel, with progress and a Cancel button. While
// the model writes, the text so far (`infill/explainPartial`) is shown as it grows.
import * as vscode from 'vscode';
import { randomUUID } from 'crypto';
import { ExecuteCommandRequest, WorkDoneProgress } from 'vscode-languageclient/node';
import { SERVER_EXPLAIN_COMMAND, explainArguments, explainMarkdown } from './clientOptions';
import { ExplainPanel } from './explainPanel';
import { EXPLAIN_PARTIAL_NOTIFICATION, LatestOnly, parseExplainPartial } from './explainStream';
import { ServerManager } from './serverManager';

export async function explainSelection(manager: ServerManager, panel: ExplainPanel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    // Nothing to explain: a hint, and no request.
    void vscode.window.showInformationMessage('Infill: select some code first, then run "Infill: Explain Selection".');
    return;
  }
  const client = manager.runningClient();
  if (!client) {
    const choice = await vscode.window.showWarningMessage('Infill: the language server is not running.', 'Restart Server');
    if (choice) void manager.restart();
    return;
  }

  const { document, selection } = editor;
  // A selection that ends at the start of a line does not include that line.
  const lastLine = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : selection.end.line + 1;
  const title = `${vscode.workspace.asRelativePath(document.uri)}, lines ${selection.start.line + 1}–${lastLine}`;
  const cancellation = new vscode.CancellationTokenSource();
  manager.log(`explain: sending ${SERVER_EXPLAIN_COMMAND} for ${title}`);
  const run = panel.open(title, () => cancellation.cancel());

  // The server reports progress ("reading definitions", "generating…") on this token.
  const progressToken = randomUUID();
  const progress = client.onProgress(WorkDoneProgress.type, progressToken, (value) => {
    if (!cancellation.token.isCancellationRequested && 'message' in value && value.message) {
      panel.showProgress(value.message);
    }
  });
  // The text so far, on the same token; a slow render shows the newest text next.
  const partials = new LatestOnly<string>((markdown) => panel.showPartial(run, markdown));
  const partialNotifications = client.onNotification(EXPLAIN_PARTIAL_NOTIFICATION, (params: unknown) => {
    const partial = parseExplainPartial(params);
    if (partial && partial.token === progressToken && !cancellation.token.isCancellationRequested) {
      partials.push(partial.markdown);
    }
  });
  try {
    const result = await client.sendRequest(
      ExecuteCommandRequest.type,
      {
        command: SERVER_EXPLAIN_COMMAND,
        arguments: explainArguments(document.uri.toString(), client.code2ProtocolConverter.asRange(selection), progressToken),
        workDoneToken: progressToken,
      },
      cancellation.token,
    );
    if (cancellation.token.isCancellationRequested) return;
    const markdown = explainMarkdown(result);
    if (markdown === undefined || markdown.trim() === '') {
      panel.show({ state: 'error', title, error: 'The server returned no explanation.' });
    } else {
      await panel.showAnswer(title, markdown);
    }
  } catch (error) {
    manager.log(`explain: ${cancellation.token.isCancellationRequested ? 'cancelled' : `failed: ${error}`}`);
    if (cancellation.token.isCancellationRequested) {
      panel.show({ state: 'cancelled', title });
    } else {
      panel.show({ state: 'error', title, error: `Explain failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  } finally {
    partials.close();
    partialNotifications.dispose();
    progress.dispose();
    cancellation.dispose();
  }
}
