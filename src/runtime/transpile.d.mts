/** The library's own transpile cache folder (`node_modules/.cache/bernstein-ts`). */
export declare const defaultCacheDir: string;

/**
 * Transpiles TypeScript or JSX to an ES module with an inline source map, through
 * the project's one transpile cache (best effort: a cache that cannot be written is skipped).
 *
 * @param source The source text.
 * @param options The esbuild loader, the name the source map gives the source, and the cache folder (default {@linkcode defaultCacheDir}).
 * @returns The JavaScript.
 * @throws Whatever esbuild throws for a syntax error.
 */
export declare function transpile(
  source: string,
  options: { loader: "ts" | "tsx" | "jsx"; sourcefile: string; cacheDir?: string },
): Promise<string>;
