/**
 * What the library needs from the runtime (process, files, file URLs, timers),
 * in one place, with no `node:` import. On Deno it calls Deno's own APIs: the
 * first `node:` import there starts Deno's Node compatibility layer, which costs
 * about as much as Deno's whole start-up (measured: +21 ms over 14 ms). On Node it
 * takes the built-ins through `process.getBuiltinModule`, synchronously.
 *
 * Code that runs only on Node, or only after start-up (remote loading, the test
 * harness), may still import `node:` modules directly.
 *
 * @module
 */

import type { DenoApi, DenoStream } from "./_deno-api.ts";

/** A repeating timer that can stop holding the process open. */
export interface HostInterval {
  /** Keeps the process alive while the timer runs (the default). */
  ref(): void;
  /** Lets the process exit even though the timer runs. */
  unref(): void;
  /** Stops the timer. */
  clear(): void;
}

/** An open file that text is appended to. */
export interface AppendFile {
  /** Appends the text; resolves once it is written. */
  write(text: string): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** The runtime services the library uses. */
export interface Host {
  /** `"deno"` or `"node"`. */
  readonly name: "deno" | "node";
  /** The runtime's version, such as `2.9.6` or `20.20.2`. */
  readonly version: string;
  /** Whether this is Windows (backslashes separate folders, drive letters, UNC shares). */
  readonly windows: boolean;
  /** The process id. */
  readonly pid: number;
  /** Whether paths that differ only in case name the same file (Windows: `C:` and `c:`). */
  readonly caseInsensitivePaths: boolean;
  /** Whether `import()` loads `jsr:` and `https:` modules itself (Deno), with its own cache and lock. */
  readonly importsRemote: boolean;
  /** The conditions an npm package's `exports` are read with, in order (Deno's own first, on Deno). */
  readonly exportConditions: readonly string[];
  /** The working directory. */
  cwd(): string;
  /** An environment variable, or undefined when unset (or not readable). */
  env(name: string): string | undefined;
  /** The command-line arguments after the script. */
  args(): string[];
  /** Writes text to standard output or standard error, synchronously on Deno. */
  write(stream: "stdout" | "stderr", text: string): void;
  /** Whether the stream is a terminal. */
  isTerminal(stream: "stdout" | "stderr"): boolean;
  /** Ends the process. */
  exit(code: number): never;
  /** The code the process exits with when it ends by itself. */
  setExitCode(code: number): void;
  /**
   * Lets a closed pipe (`bernstein hooks | head`) end the process quietly with its
   * exit code, instead of with a stack trace. On Deno, `write` sees to it already.
   */
  endOnBrokenPipe(): void;
  /** Reads a UTF-8 text file. */
  readTextFile(path: string): Promise<string>;
  /** Reads a file's bytes. */
  readFile(path: string): Promise<Uint8Array<ArrayBuffer>>;
  /** Writes a UTF-8 text file, replacing it. */
  writeTextFile(path: string, text: string): Promise<void>;
  /**
   * Replaces a file through a temporary file beside it and a rename, so that a
   * reader (another process too) sees the old file or the new one, never half of one.
   */
  writeFileAtomic(path: string, data: string | Uint8Array): Promise<void>;
  /** The path with symbolic links resolved. */
  realPath(path: string): Promise<string>;
  /** What is at a path: a file, a directory, something else, or nothing (undefined). */
  kindOf(path: string): Promise<"file" | "directory" | "other" | undefined>;
  /** The names in a directory. */
  readDir(path: string): Promise<string[]>;
  /** Creates a directory and its parents. */
  makeDir(path: string): Promise<void>;
  /** Opens a file for appending, creating it. */
  openAppend(path: string): Promise<AppendFile>;
  /** Starts a repeating timer. */
  interval(callback: () => void, ms: number): HostInterval;
  /** Whether an error from the file functions means the path does not exist. */
  isNotFound(error: unknown): boolean;
  /** Whether an error from the file functions means the path is a directory where a file was wanted. */
  isDirectory(error: unknown): boolean;
}

/** The host's file functions. */
type HostFiles = Pick<
  Host,
  | "readTextFile"
  | "readFile"
  | "writeTextFile"
  | "writeFileAtomic"
  | "realPath"
  | "kindOf"
  | "readDir"
  | "makeDir"
  | "openAppend"
>;

const NOT_FOUND = new Set(["ENOENT", "ENOTDIR", "NotFound", "NotADirectory"]);
const DIRECTORY = new Set(["EISDIR", "IsADirectory"]);

function isNotFound(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return NOT_FOUND.has(code as string) || NOT_FOUND.has(name as string);
}

function isDirectory(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return DIRECTORY.has(code as string) || DIRECTORY.has(name as string);
}

/** A temporary file's name beside `path`: unique to this process and call, swept by its `.tmp` ending. */
function temporaryName(path: string, pid: number): string {
  return `${path}.${pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

function denoHost(deno: DenoApi): Host {
  const encoder = new TextEncoder();
  const writeAll = (stream: DenoStream, bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += stream.writeSync(bytes.subarray(done));
  };
  return {
    name: "deno",
    version: deno.version.deno,
    windows: deno.build.os === "windows",
    pid: deno.pid,
    caseInsensitivePaths: deno.build.os === "windows",
    importsRemote: true,
    exportConditions: ["deno", "node", "import", "default"],
    cwd: () => deno.cwd(),
    env(name) {
      try {
        return deno.env.get(name);
      } catch {
        return undefined; // no --allow-env: as if unset
      }
    },
    args: () => [...deno.args],
    write(stream, text) {
      try {
        writeAll(stream === "stdout" ? deno.stdout : deno.stderr, encoder.encode(text));
      } catch (error) {
        // A closed pipe (bernstein hooks | head) ends the output, not with a stack trace.
        if ((error as { name?: string }).name === "BrokenPipe") deno.exit(deno.exitCode);
        throw error;
      }
    },
    isTerminal: (stream) => (stream === "stdout" ? deno.stdout : deno.stderr).isTerminal(),
    exit: (code) => deno.exit(code),
    setExitCode: (code) => void (deno.exitCode = code),
    endOnBrokenPipe() {},
    ...denoFiles(deno),
    interval(callback, ms) {
      // Deno 2.9 returns a Node-style timer with ref() and unref(); earlier ones, a number.
      const timer = setInterval(callback, ms) as unknown as number | { ref(): void; unref(): void };
      return {
        ref: () => typeof timer === "number" ? deno.refTimer(timer) : timer.ref(),
        unref: () => typeof timer === "number" ? deno.unrefTimer(timer) : timer.unref(),
        clear: () => clearInterval(timer as number),
      };
    },
    isNotFound,
    isDirectory,
  };
}

/** The file functions, on Deno. */
function denoFiles(deno: DenoApi): HostFiles {
  const encoder = new TextEncoder();
  return {
    readTextFile: (path) => deno.readTextFile(path),
    readFile: (path) => deno.readFile(path),
    writeTextFile: (path, text) => deno.writeTextFile(path, text),
    async writeFileAtomic(path, data) {
      const temporary = temporaryName(path, deno.pid);
      await deno.writeFile(temporary, typeof data === "string" ? encoder.encode(data) : data);
      await deno.rename(temporary, path);
    },
    realPath: (path) => deno.realPath(path),
    async kindOf(path) {
      try {
        const info = await deno.stat(path);
        return info.isFile ? "file" : info.isDirectory ? "directory" : "other";
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async readDir(path) {
      const names: string[] = [];
      for await (const entry of deno.readDir(path)) names.push(entry.name);
      return names;
    },
    makeDir: (path) => deno.mkdir(path, { recursive: true }),
    async openAppend(path) {
      const file = await deno.open(path, { append: true, create: true });
      return {
        async write(text) {
          const bytes = encoder.encode(text);
          for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
        },
        close: () => Promise.resolve(file.close()),
      };
    },
  };
}

type NodeFs = typeof import("node:fs/promises");

function nodeHost(): Host {
  const process = globalThis.process;
  // getBuiltinModule from Node 20.16; before it, an import on first use (no
  // top-level await here: tsx compiles this file as CommonJS in CommonJS projects).
  const builtin = process.getBuiltinModule?.("node:fs/promises");
  let loading: Promise<NodeFs> | undefined;
  const fs = (): NodeFs | Promise<NodeFs> => builtin ?? (loading ??= import("node:fs/promises"));
  return {
    name: "node",
    version: process.versions.node,
    windows: process.platform === "win32",
    pid: process.pid,
    caseInsensitivePaths: process.platform === "win32",
    importsRemote: false,
    exportConditions: ["node", "import", "default"],
    cwd: () => process.cwd(),
    env: (name) => process.env[name],
    args: () => process.argv.slice(2),
    write: (stream, text) => void process[stream].write(text),
    isTerminal: (stream) => process[stream].isTTY === true,
    exit: (code) => process.exit(code),
    setExitCode: (code) => void (process.exitCode = code),
    endOnBrokenPipe() {
      for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (error: NodeJS.ErrnoException) => {
          if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
          throw error;
        });
      }
    },
    ...nodeFiles(fs, process.pid),
    interval(callback, ms) {
      const timer = setInterval(callback, ms);
      return {
        ref: () => void timer.ref(),
        unref: () => void timer.unref(),
        clear: () => clearInterval(timer),
      };
    },
    isNotFound,
    isDirectory,
  };
}

/** The file functions, on Node, with `node:fs/promises` as `fs()` gives it. */
function nodeFiles(fs: () => NodeFs | Promise<NodeFs>, pid: number): HostFiles {
  return {
    readTextFile: async (path) => (await fs()).readFile(path, "utf8"),
    readFile: async (path) => (await fs()).readFile(path),
    writeTextFile: async (path, text) => (await fs()).writeFile(path, text),
    async writeFileAtomic(path, data) {
      const temporary = temporaryName(path, pid);
      await (await fs()).writeFile(temporary, data);
      await (await fs()).rename(temporary, path);
    },
    realPath: async (path) => (await fs()).realpath(path),
    async kindOf(path) {
      try {
        const info = await (await fs()).stat(path);
        return info.isFile() ? "file" : info.isDirectory() ? "directory" : "other";
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    readDir: async (path) => (await fs()).readdir(path),
    makeDir: async (path) => void await (await fs()).mkdir(path, { recursive: true }),
    async openAppend(path) {
      const file = await (await fs()).open(path, "a");
      return {
        write: async (text) => void await file.write(text),
        close: () => file.close(),
      };
    },
  };
}

const deno = (globalThis as { Deno?: DenoApi }).Deno;

/** The runtime this code runs on. */
export const host: Host = deno !== undefined ? denoHost(deno) : nodeHost();

/**
 * A Node built-in module for code that runs only on Node: through
 * `process.getBuiltinModule` (Node 20.16+), synchronously and without the loader
 * hooks' round trip a static `node:` import costs; an import on older versions.
 *
 * @param name Such as `"node:fs"`.
 * @returns The module.
 */
export function nodeBuiltin<T>(name: string): T | Promise<T> {
  return (globalThis.process?.getBuiltinModule?.(name) as T | undefined) ?? import(name) as Promise<T>;
}

/**
 * `pathToFileURL(path).href` without `node:url`: a file URL for an absolute path,
 * with the characters a URL path cannot hold percent-encoded.
 *
 * @param path An absolute, normalised path (on Windows: a drive letter or a `\\\\server\\share`).
 * @returns The `file:` URL.
 */
export function fileUrl(path: string): string {
  // The common case, a POSIX path of characters a URL path keeps as they are (every
  // local plugin, on every start), without building a URL.
  if (!host.windows && PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path)) return `file://${path}`;
  const url = new URL("file:///");
  let p = path;
  if (host.windows) {
    p = p.replaceAll("\\", "/");
    const share = /^\/\/([^/]+)(\/.*)?$/.exec(p);
    if (share) {
      url.hostname = share[1];
      p = share[2] ?? "/";
    } else if (/^[A-Za-z]:\//.test(p)) {
      p = `/${p}`;
    }
  }
  // The URL parser drops tabs and newlines and takes % as an escape: encode them
  // first, with the characters Node's pathToFileURL encodes too, for the same URL.
  url.pathname = p.replace(
    /[%\t\n\r\\|^[\]~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return url.href;
}

const PLAIN_PATH = /^\/[\w./@+-]*$/;
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)|\/\//;

/**
 * `fileURLToPath(url)` without `node:url`.
 *
 * @param url A `file:` URL.
 * @returns The path it names.
 * @throws {TypeError} For another scheme, or an encoded slash.
 */
export function filePath(url: string | URL): string {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (parsed.protocol !== "file:") throw new TypeError(`The URL must be of scheme file: ${parsed.href}`);
  const encoded = host.windows ? /%2f|%5c/i : /%2f/i;
  if (encoded.test(parsed.pathname)) {
    throw new TypeError(
      `File URL path must not include encoded ${host.windows ? "\\ or /" : "/"} characters`,
    );
  }
  const path = decodeURIComponent(parsed.pathname);
  if (host.windows) {
    return (parsed.hostname ? `\\\\${parsed.hostname}${path}` : path.slice(1)).replaceAll("/", "\\");
  }
  if (parsed.hostname !== "" && parsed.hostname !== "localhost") {
    throw new TypeError(`File URL host must be "localhost" or empty on this system: ${parsed.href}`);
  }
  return path;
}
