// Turns doctor results into the lines an operator reads, and the command's exit code.
import type { CheckResult, CheckStatus } from './types';

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** One line per check, `STATUS name: message (fix: ...)`, then a summary line. */
export function formatReport(results: CheckResult[]): string {
  const lines = results.map((r) => {
    const fix = r.fix && r.status !== 'ok' ? ` -> fix: ${r.fix}` : '';
    return `${LABEL[r.status]} ${r.name}: ${r.message}${fix}`;
  });
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  const failed = count('fail');
  const warned = count('warn');
  lines.push(
    `doctor: ${count('ok')} ok, ${warned} warning${warned === 1 ? '' : 's'}, ${failed} failed` +
      (failed ? ' - fix the FAIL lines above and run doctor again' : ''),
  );
  return lines.join('\n') + '\n';
}

/** Non-zero when any check failed; warnings alone do not fail the run. */
export function exitCodeFor(results: CheckResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
