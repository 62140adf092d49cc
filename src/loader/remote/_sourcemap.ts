/**
 * Keeps an inline source map right after edits that change a line's length (the
 * linked files' `import.meta` prefix and rewritten import specifiers): every
 * mapping after an edit on the same generated line moves by the edit's change in
 * length. Only the `mappings` field changes; a map that cannot be read is left as it is.
 *
 * @module
 */

/** A change of length at a position of the generated text. */
export interface Edit {
  /** Offset in the text before the edits. */
  readonly at: number;
  /** Characters added (negative: removed) there. */
  readonly delta: number;
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * The inline source map of `text`, moved for `edits` made to `text`.
 *
 * @param text The generated code before the edits, ending with its inline source map.
 * @param edits The edits, at offsets of `text`.
 * @returns `text` with the map's mappings moved (the code itself unchanged), or `text` as it is.
 */
export function shiftInlineMap(text: string, edits: readonly Edit[]): string {
  const found = INLINE_MAP.exec(text);
  if (found === null || edits.length === 0) return text;
  let map: { mappings?: unknown };
  try {
    map = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(found[1]), (c) => c.charCodeAt(0))));
  } catch {
    return text;
  }
  if (typeof map.mappings !== "string") return text;
  // Edits by generated line: [column, delta], in column order.
  const byLine = new Map<number, [number, number][]>();
  let line = 0;
  let lineStart = 0;
  for (const edit of [...edits].sort((a, b) => a.at - b.at)) {
    for (let i = text.indexOf("\n", lineStart); i !== -1 && i < edit.at; i = text.indexOf("\n", lineStart)) {
      line++;
      lineStart = i + 1;
    }
    const list = byLine.get(line) ?? [];
    list.push([edit.at - lineStart, edit.delta]);
    byLine.set(line, list);
  }
  const lines = map.mappings.split(";");
  for (const [index, shifts] of byLine) {
    if (index >= lines.length || lines[index] === "") continue;
    let column = 0;
    let moved = 0;
    const segments = lines[index].split(",").map((segment) => {
      const fields = decode(segment);
      column += fields[0];
      const shift = shifts.filter(([at]) => at <= column).reduce((sum, [, delta]) => sum + delta, 0);
      fields[0] += shift - moved; // columns are relative to the segment before
      moved = shift;
      return encode(fields);
    });
    lines[index] = segments.join(",");
  }
  const json = JSON.stringify({ ...map, mappings: lines.join(";") });
  const bytes = new TextEncoder().encode(json);
  const encoded = btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
  return `${text.slice(0, found.index)}\n//# sourceMappingURL=data:application/json;base64,${encoded}\n`;
}

/** The numbers of one base64 VLQ segment. */
function decode(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** One base64 VLQ segment of numbers. */
function encode(values: number[]): string {
  let out = "";
  for (const number of values) {
    let value = number < 0 ? (-number << 1) | 1 : number << 1;
    do {
      let digit = value & 31;
      value >>>= 5;
      if (value > 0) digit |= 32;
      out += BASE64[digit];
    } while (value > 0);
  }
  return out;
}
