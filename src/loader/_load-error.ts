/**
 * The load error of one config entry, and the gist of an underlying error: what
 * entry resolution, importing and instantiation report a failure with.
 *
 * @module
 */
import { messageOf } from "../_text.ts";
import { entryLocation, type LoadedConfig, type NormalisedEntry } from "../config.ts";
import { PluginLoadError } from "../errors.ts";

/** One entry being loaded: the config it sits in and its specifier as reports name it. */
export interface EntryContext {
  /** The config. */
  readonly config: LoadedConfig;
  /** The entry. */
  readonly entry: NormalisedEntry;
  /** The specifier as written, or `inline:<name>` for an inline plugin. */
  readonly specifier: string;
}

/**
 * A load error for an entry, naming where it sits in the config.
 *
 * @param at The entry.
 * @param reason What went wrong and what to do.
 * @param cause The underlying error, if any.
 * @returns The error, to throw.
 */
export function loadError(at: EntryContext, reason: string, cause?: unknown): PluginLoadError {
  const options = cause === undefined ? undefined : { cause };
  return new PluginLoadError(at.specifier, entryLocation(at.config, at.entry), reason, options);
}

/**
 * The gist of an error: its first three non-empty lines, joined.
 *
 * @param error Anything thrown.
 * @returns One line.
 */
export function firstLines(error: unknown): string {
  const text = messageOf(error);
  return text.split("\n").map((line) => line.trim()).filter(Boolean).slice(0, 3).join(" ");
}
