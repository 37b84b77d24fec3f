// The HTML of the "Infill: Explain" panel. Pure (no `vscode` import), unit-tested.
// The page is rebuilt for each state; its only script posts "cancel" back to the extension and,
// while the model writes, puts the progress text and the rendered text so far in place.

export type ExplainView =
  | { state: 'running'; title: string; progress?: string }
  | { state: 'done'; title: string; answerHtml: string }
  | { state: 'cancelled'; title: string }
  | { state: 'error'; title: string; error: string };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Fallback when Markdown cannot be rendered: the text as it is, escaped. */
export function plainTextHtml(markdown: string): string {
  return `<pre class="plain">${escapeHtml(markdown)}</pre>`;
}

/**
 * Builds the page. `nonce` allows the one inline script; `cspSource` is the webview's own
 * origin (for styles). Content Security Policy: no other scripts, no network.
 */
export function explainPageHtml(view: ExplainView, nonce: string, cspSource: string): string {
  let body: string;
  switch (view.state) {
    case 'running':
      body = `<p class="progress">${escapeHtml(view.progress || 'Asking the model…')}</p>
        <button id="cancel">Cancel</button>
        <div id="partial" class="partial" hidden></div>`;
      break;
    case 'done':
      body = view.answerHtml;
      break;
    case 'cancelled':
      body = '<p class="note">Cancelled.</p>';
      break;
    case 'error':
      body = `<p class="error">${escapeHtml(view.error)}</p>`;
      break;
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource} data:; style-src ${cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Infill: Explain</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); line-height: 1.5; padding: 0 12px; }
  h1.title { font-size: 1.1em; opacity: 0.8; }
  pre, code { font-family: var(--vscode-editor-font-family); }
  pre { white-space: pre-wrap; background: var(--vscode-textCodeBlock-background); padding: 8px; }
  .error { color: var(--vscode-errorForeground); }
  .note, .progress { opacity: 0.8; }
  .partial { border-top: 1px solid var(--vscode-panel-border); margin-top: 12px; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 12px; cursor: pointer; }
</style>
</head>
<body>
<h1 class="title">${escapeHtml(view.title)}</h1>
<main id="answer" data-state="${view.state}">
${body}
</main>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const cancel = document.getElementById('cancel');
  if (cancel) cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  // Progress messages and the text so far update the page in place (rebuilding it would
  // reload it). The text so far is HTML rendered by VS Code's Markdown renderer from text the
  // server has sanitized (no raw HTML); this page's policy runs no other script.
  window.addEventListener('message', (event) => {
    const data = event.data || {};
    const progress = document.querySelector('.progress');
    if (data.type === 'progress' && progress) progress.textContent = data.text;
    const partial = document.getElementById('partial');
    if (data.type === 'partial' && partial && typeof data.html === 'string') {
      partial.innerHTML = data.html;
      partial.hidden = false;
    }
  });
</script>
</body>
</html>`;
}
