/**
 * The main-thread side of remote loading on Node: registers the loader hooks once
 * (lazily, only when a config lists a remote plugin) and sends them each later
 * config's settings, waiting until they are in force.
 *
 * @module
 */
import { register } from "node:module";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { ensureTypeScript } from "../../../runtime/mod.ts";
import type { HookMessage, HookSettings } from "./node-hooks.ts";
import type { RemoteSettings } from "../resolver.ts";

let registered: Promise<MessagePort> | undefined;
let nextId = 0;
/** Linked files of every config so far: the hooks are one per process, and an earlier config's plugins stay loaded. */
const linkedSoFar: Record<string, string> = {};

/**
 * Makes Node able to import `jsr:` and `https:` specifiers with these settings.
 *
 * @param settings Cache, lock, registry and policy for this config.
 * @param projectUrl `file:` URL of the config's folder (ending in `/`): bare imports
 * inside remote modules resolve from its node_modules.
 * @param linked Linked files (`file:` URLs) by remote URL: a remote module that was
 * linked resolves to its file, so that it loads once however it is imported.
 */
export async function configureRemoteLoader(
  settings: RemoteSettings,
  projectUrl: string,
  linked: Readonly<Record<string, string>> = {},
): Promise<void> {
  Object.assign(linkedSoFar, linked);
  const all: HookSettings = { ...settings, projectUrl, linked: linkedSoFar };
  if (registered === undefined) {
    // One registration, however many configs load at once; the first settings travel with it.
    registered = ensureTypeScript().then(() => {
      const channel = new MessageChannel();
      register(new URL("./node-hooks.ts", import.meta.url), {
        data: { port: channel.port2, settings: all },
        transferList: [channel.port2],
      });
      channel.port1.unref();
      return channel.port1;
    });
    await registered;
    return;
  }
  const port = await registered;
  const id = ++nextId;
  const message: HookMessage = { id, type: "configure", settings: all };
  await new Promise<void>((resolve) => {
    const listener = (reply: { id: number }) => {
      if (reply.id !== id) return;
      port.off("message", listener);
      resolve();
    };
    port.on("message", listener);
    port.postMessage(message);
  });
}
