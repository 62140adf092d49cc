/**
 * The usage error: wrong arguments, exit code 2.
 *
 * @module
 */

/** Wrong arguments: exit code 2. */
export class UsageError extends Error {
  /** The command whose help to point at. */
  readonly command: string | undefined;

  /**
   * A usage error, with the command whose help to point at.
   *
   * @param message What is wrong.
   * @param command The command whose help to point at.
   */
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}
