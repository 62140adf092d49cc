/**
 * The main-thread side of remote loading on Node: registers the loader hooks once
 * (lazily, only when a config lists a remote plugin) and sends them each later
 * config's settings, waiting until they are in force.
 *
 * @module
 */
import { register } from "node:module";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { ensureTypeScript } from "../../runtime/mod.ts";
import type { HookMessage, HookSettings } from "./node-hooks.ts";
import type { RemoteSettings } from "./resolver.ts";

let port: MessagePort | undefined;
let nextId = 0;

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
  const all: HookSettings = { ...settings, projectUrl, linked };
  if (port === undefined) {
    await ensureTypeScript();
    const channel = new MessageChannel();
    // The first settings travel with the registration, which returns once they are in force.
    register(new URL("./node-hooks.ts", import.meta.url), {
      data: { port: channel.port2, settings: all },
      transferList: [channel.port2],
    });
    port = channel.port1;
    port.unref();
    return;
  }
  const id = ++nextId;
  const message: HookMessage = { id, type: "configure", settings: all };
  await new Promise<void>((resolve) => {
    const listener = (reply: { id: number }) => {
      if (reply.id !== id) return;
      port!.off("message", listener);
      resolve();
    };
    port!.on("message", listener);
    port!.postMessage(message);
  });
}
