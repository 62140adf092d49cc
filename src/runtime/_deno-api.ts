/**
 * The parts of the Deno namespace the host uses, typed for Node's type-checker
 * too (no `Deno` global there). Types only.
 *
 * @module
 */

/** The Deno namespace, as far as the host uses it. */
export interface DenoApi {
  readonly version: { readonly deno: string };
  readonly pid: number;
  readonly build: { readonly os: string };
  readonly args: string[];
  readonly stdout: DenoStream;
  readonly stderr: DenoStream;
  readonly env: { get(name: string): string | undefined };
  exitCode: number;
  cwd(): string;
  exit(code: number): never;
  readTextFile(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array<ArrayBuffer>>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  writeTextFile(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  realPath(path: string): Promise<string>;
  stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean }>;
  readDir(path: string): AsyncIterable<{ name: string }>;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  open(path: string, options: { append: boolean; create: boolean }): Promise<DenoFile>;
  refTimer(id: number): void;
  unrefTimer(id: number): void;
}

export interface DenoStream {
  writeSync(bytes: Uint8Array): number;
  isTerminal(): boolean;
}

export interface DenoFile {
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}
