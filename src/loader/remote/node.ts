/**
 * The main-thread side of remote loading on Node: registers the loader hooks once
 * (lazily, only when a config lists a remote plugin) and sends them each config's
 * settings, waiting until they are in force.
 *
 * @module
 */
import { register } from "node:module";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { ensureTypeScript } from "../../runtime/mod.ts";
import type { HookMessage } from "./node-hooks.ts";
import type { RemoteSettings } from "./resolver.ts";

let port: MessagePort | undefined;
let nextId = 0;

/**
 * Makes Node able to import `jsr:` and `https:` specifiers with these settings.
 *
 * @param settings Cache, lock, registry and policy for this config.
 * @param projectUrl `file:` URL of the config's folder (ending in `/`): bare imports
 * inside remote modules resolve from its node_modules.
 */
export async function configureRemoteLoader(settings: RemoteSettings, projectUrl: string): Promise<void> {
  if (port === undefined) {
    await ensureTypeScript();
    const channel = new MessageChannel();
    register(new URL("./node-hooks.ts", import.meta.url), {
      data: { port: channel.port2 },
      transferList: [channel.port2],
    });
    port = channel.port1;
    port.unref();
  }
  const id = ++nextId;
  const message: HookMessage = { id, type: "configure", settings: { ...settings, projectUrl } };
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
