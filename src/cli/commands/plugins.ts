/**
 * `bernstein plugins list` and `bernstein plugins check`.
 *
 * @module
 */
import { disabledEntries, openManager } from "../context.ts";
import type { Output } from "../output.ts";

/** Options of the plugins commands. */
export interface PluginsOptions {
  /** The config file (default: searched upward). */
  config?: string;
  /** Refuse remote modules not in the lockfile. */
  frozen?: boolean;
}

/** Lists each plugin: name, version, specifier, resolved location, hooks; then disabled entries. */
export async function list(out: Output, options: PluginsOptions): Promise<number> {
  const { config, manager, report } = await openManager(out, { ...options, logErrors: false });
  const disabled = disabledEntries(config);
  const hooks = new Map(manager.list().map((p) => [p.name, p.hooks]));
  const rows = report.loaded.map((l) => ({
    name: l.plugin.name,
    version: l.version ?? l.plugin.version ?? null,
    specifier: l.specifier,
    resolved: l.resolved,
    hooks: hooks.get(l.plugin.name) ?? [],
  }));
  await manager.shutdown();
  if (out.json) {
    out.data({ plugins: rows, disabled, errors: report.errors.map((e) => e.message) });
  } else {
    out.table([
      ["name", "version", "specifier", "resolved", "hooks"],
      ...rows.map((r) => [r.name, r.version ?? "-", r.specifier, r.resolved, r.hooks.join(", ")]),
      ...disabled.map((d) => [d.name ?? "-", "-", d.specifier, `disabled (${d.entry})`, "-"]),
    ].map((row) => [row[0], ...row.slice(1)]));
    for (const error of report.errors) out.error(error.message);
  }
  return report.errors.length > 0 ? 1 : 0;
}

/** Loads and validates every plugin and reports every problem at once. */
export async function check(out: Output, options: PluginsOptions): Promise<number> {
  const { config, manager, report } = await openManager(out, { ...options, logErrors: false });
  await manager.shutdown();
  const disabled = disabledEntries(config);
  if (out.json) {
    out.data({
      ok: report.errors.length === 0,
      plugins: report.loaded.map((l) => ({ name: l.plugin.name, specifier: l.specifier })),
      disabled,
      errors: report.errors.map((e) => ({ specifier: e.specifier, entry: e.entry, message: e.message })),
    });
  } else {
    for (const l of report.loaded) {
      out.line(`${out.paint("green", "ok")}    ${l.plugin.name} (${l.specifier})`);
    }
    for (const d of disabled) {
      const what = d.name !== null && d.specifier !== `inline:${d.name}`
        ? `${d.name} (${d.specifier}; enabled: false at ${d.entry}; not checked)`
        : `${d.specifier} (enabled: false at ${d.entry}; not checked)`;
      out.line(`${out.paint("yellow", "off")}   ${what}`);
    }
    for (const e of report.errors) out.line(`${out.paint("red", "fail")}  ${e.message}`);
    out.line();
    const off = disabled.length > 0 ? `, ${disabled.length} disabled` : "";
    out.line(
      report.errors.length === 0
        ? `${report.loaded.length} plugin(s) checked, no problems${off}`
        : `${report.loaded.length} plugin(s) ok, ${report.errors.length} with problems${off}`,
    );
  }
  return report.errors.length > 0 ? 1 : 0;
}
