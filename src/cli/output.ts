/**
 * Everything the CLI writes: human lines (coloured only on a terminal without
 * NO_COLOR), machine output for --json, errors on standard error, and progress
 * that shows only on a terminal.
 *
 * @module
 */
import { host } from "../runtime/host.ts";

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;

/** A colour or style name. */
export type Style = keyof typeof CODES;

/** The CLI's output channel. */
export class Output {
  /** Whether --json was given: standard output then carries only JSON. */
  readonly json: boolean;
  private readonly colour: boolean;
  private readonly progressOn: boolean;

  /**
   * Output for one command.
   *
   * @param json Machine output.
   */
  constructor(json: boolean) {
    this.json = json;
    const noColour = (host.env("NO_COLOR") ?? "") !== "";
    this.colour = !json && host.isTerminal("stdout") && !noColour;
    this.progressOn = !json && host.isTerminal("stderr");
  }

  /** Styles text when colour is on. */
  paint(style: Style, text: string): string {
    return this.colour ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
  }

  /** A line of human output: to standard output, or to standard error under --json. */
  line(text = ""): void {
    host.write(this.json ? "stderr" : "stdout", `${text}\n`);
  }

  /** The machine result of a --json command. */
  data(value: unknown): void {
    host.write("stdout", `${JSON.stringify(value, null, 2)}\n`);
  }

  /** An error or warning for a person, always on standard error. */
  error(text: string): void {
    host.write("stderr", `${this.colour ? this.paint("red", "error") : "error"}: ${text}\n`);
  }

  /** A transient progress message, shown only when standard error is a terminal. */
  progress(text: string): void {
    if (this.progressOn) host.write("stderr", `\r\x1b[2K${this.paint("dim", text)}`);
  }

  /** Clears the progress line. */
  progressDone(): void {
    if (this.progressOn) host.write("stderr", "\r\x1b[2K");
  }

  /** Prints rows as aligned columns; the first row is the header. */
  table(rows: string[][]): void {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => visible(row[i] ?? "").length)));
    rows.forEach((row, index) => {
      const cells = row.map((cell, i) => {
        const pad = " ".repeat(widths[i] - visible(cell).length);
        return /^-?[\d.]+$/.test(visible(cell)) ? pad + cell : cell + pad;
      });
      const text = cells.join("  ").trimEnd();
      this.line(index === 0 ? this.paint("bold", text) : text);
    });
  }
}

function visible(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
