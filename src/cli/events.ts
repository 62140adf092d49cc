/**
 * Orchestration events as JSON Lines, one `{"hook": "...", "args": {...}}` per line,
 * for `bernstein run --events`.
 *
 * @module
 */

/** One line of an events file: an event, or the problem with it. */
export type EventLine =
  | { readonly line: number; readonly hook: string; readonly args: unknown }
  | { readonly line: number; readonly problem: string };

/**
 * Splits JSON Lines text into events, with line numbers. Blank lines are skipped;
 * a line that is not JSON or not `{ hook, args }` becomes a problem.
 *
 * @param text The file's content.
 * @returns One entry per non-blank line.
 */
export function parseEvents(text: string): EventLine[] {
  const out: EventLine[] = [];
  text.replace(/^\uFEFF/, "").split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      out.push({ line, problem: `not JSON: ${(error as Error).message}` });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      out.push({ line, problem: 'expected an object such as {"hook": "onTaskCreated", "args": {...}}' });
      return;
    }
    const { hook, args } = value as { hook?: unknown; args?: unknown };
    if (typeof hook !== "string" || hook === "") {
      out.push({ line, problem: '"hook" must name a hook, such as "onTaskCreated"' });
      return;
    }
    out.push({ line, hook, args: args ?? {} });
  });
  return out;
}
