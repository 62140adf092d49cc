// How values and thrown things are named in messages: one wording everywhere.

/**
 * The message of a thrown value.
 *
 * @param error What was thrown.
 * @returns Its message when it is an Error, else its text.
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Describes a value's type for error messages: `"a string"`, `"null"`, `"an array"`.
 *
 * @param value Anything.
 * @returns A short description.
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined"
    ? (type === "object" ? "an object" : "undefined")
    : `a ${type}`;
}
