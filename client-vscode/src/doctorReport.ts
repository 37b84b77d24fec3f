// "Infill: Check Setup": the server's `infill/doctor` result as a readable report: HTML for
// the report panel, plain text lines (✓ ! ✗) for the log, and a one-line summary. Pure (no
// `vscode` import), unit-tested.

/** The server request that runs the checks. */
export const DOCTOR_REQUEST = 'infill/doctor';

export type Verdict = 'ok' | 'warning' | 'failed' | 'skipped';

export interface DoctorCheck {
  name: string;
  verdict: Verdict;
  detail: string;
  fix: string;
}

const VERDICTS: readonly Verdict[] = ['ok', 'warning', 'failed', 'skipped'];
export const MARKS: Record<Verdict, string> = { ok: '✓', warning: '!', failed: '✗', skipped: '-' };

/** Reads `{checks: [{name, verdict, detail, fix}]}` defensively; undefined when it has no checks list. */
export function parseDoctorResult(result: unknown): DoctorCheck[] | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const checks = (result as { checks?: unknown }).checks;
  if (!Array.isArray(checks)) return undefined;
  return checks
    .filter((check): check is Record<string, unknown> => typeof check === 'object' && check !== null)
    .map((check) => ({
      name: typeof check.name === 'string' ? check.name : '(unnamed check)',
      verdict: VERDICTS.includes(check.verdict as Verdict) ? (check.verdict as Verdict) : 'warning',
      detail: typeof check.detail === 'string' ? check.detail : '',
      fix: typeof check.fix === 'string' ? check.fix : '',
    }));
}

export interface DoctorSummary {
  text: string;
  level: 'info' | 'warning' | 'error';
}

/** "Infill setup: 7 ok, 1 warning, 1 failed (model file)", and how loud to say it. */
export function doctorSummary(checks: DoctorCheck[]): DoctorSummary {
  const count = (verdict: Verdict) => checks.filter((check) => check.verdict === verdict).length;
  const counts = VERDICTS.filter((verdict) => count(verdict) > 0).map((verdict) => `${count(verdict)} ${verdict}`);
  const failed = checks.filter((check) => check.verdict === 'failed').map((check) => check.name);
  const warned = checks.filter((check) => check.verdict === 'warning').map((check) => check.name);
  const names = failed.length ? failed : warned;
  const text = `Infill setup: ${counts.join(', ') || 'no checks'}${names.length ? ` (${names.join(', ')})` : ''}`;
  return { text, level: failed.length ? 'error' : warned.length ? 'warning' : 'info' };
}

/** The report as text lines, as `infill doctor` prints it: a mark and the name, details and fix indented. */
export function doctorText(checks: DoctorCheck[]): string {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${MARKS[check.verdict]} ${check.name}${check.verdict === 'skipped' ? ' (skipped)' : ''}`);
    if (check.detail) lines.push(`    ${check.detail}`);
    if (check.fix) lines.push(`    fix: ${check.fix}`);
  }
  lines.push(doctorSummary(checks).text);
  return lines.join('\n');
}

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * The report page. Every text from the server is escaped; the page runs no script, and its
 * only style is the inline one with `nonce` (Content Security Policy: nothing else loads).
 */
export function doctorPageHtml(checks: DoctorCheck[], nonce: string): string {
  const summary = doctorSummary(checks);
  const rows = checks
    .map(
      (check) => `<li class="check ${check.verdict}" data-verdict="${check.verdict}">
      <span class="mark" aria-label="${check.verdict}">${MARKS[check.verdict]}</span>
      <div class="body"><div class="name">${escapeText(check.name)}${check.verdict === 'skipped' ? ' <span class="muted">(skipped)</span>' : ''}</div>
      ${check.detail ? `<div class="detail">${escapeText(check.detail)}</div>` : ''}
      ${check.fix ? `<div class="fix"><strong>Fix:</strong> ${escapeText(check.fix)}</div>` : ''}</div></li>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Infill: Setup Check</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px; }
  ul { list-style: none; padding: 0; }
  .check { display: flex; gap: 10px; padding: 8px 0; border-bottom: 1px solid var(--vscode-panel-border, #8884); }
  .mark { flex: none; font-weight: bold; width: 1.2em; text-align: center; }
  .ok .mark { color: var(--vscode-testing-iconPassed, #3a3); }
  .warning .mark { color: var(--vscode-editorWarning-foreground, #c90); }
  .failed .mark { color: var(--vscode-errorForeground, #d33); }
  .skipped .mark, .muted { color: var(--vscode-descriptionForeground, #888); }
  .name { font-weight: 600; }
  .detail, .fix { margin-top: 2px; white-space: pre-wrap; word-break: break-word; }
  .fix { color: var(--vscode-textLink-foreground, inherit); }
</style></head>
<body><div id="setup-report" data-level="${summary.level}">
<h2>Infill: Setup Check</h2>
<p class="summary">${escapeText(summary.text)}</p>
<ul>
${rows}
</ul>
<p class="muted">Run "Infill: Check Setup" again after a fix; "infill doctor" in a terminal runs the same checks.</p>
</div></body></html>`;
}
