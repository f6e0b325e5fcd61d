/** One expected outcome of a command-line run. */
export interface CliCase {
  name: string;
  code: number;
  /** What stderr must say. */
  message: RegExp;
}

/**
 * What is wrong with a command's result: another exit code, no message, a stack trace, or `secret`
 * (a password the case put in the environment) echoed. Empty when it is right; otherwise the problems
 * and the start of stderr, so a test can check many cases and report every problem at once.
 */
export function cliProblems(
  c: CliCase,
  r: { code: number | null; stderr: string },
  secret?: string,
): string[] {
  const out: string[] = [];
  if (r.code !== c.code) out.push(`${c.name}: exit ${r.code}, expected ${c.code}`);
  if (!c.message.test(r.stderr)) out.push(`${c.name}: no message ${c.message}`);
  if (/\n\s+at /.test(r.stderr)) out.push(`${c.name}: a stack trace`);
  if (secret && r.stderr.includes(secret)) out.push(`${c.name}: the password`);
  return out.length ? [...out, `${c.name} stderr: ${r.stderr.trim().slice(0, 300)}`] : [];
}
