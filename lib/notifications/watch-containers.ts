import { db } from "../db";
import { getRuntime } from "../docker";
import type { ContainerEvent } from "../docker/types";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { LABEL_INSTANCE } from "../naming";
import { emitEventQuietly, type TEventInput } from "../outbox/emit-event";

// Instance exited / OOM-killed / in a restart loop / unhealthy, from the
// engine's event stream. Only the serving container of an instance Wharf
// believes running counts: containers Wharf stops itself (the old colour of a
// blue-green switch, a stop) are not failures.

/** Exits of one instance within this window, from the third on, are a restart loop. */
export const RESTART_LOOP = { window: 10 * 60_000, exits: 3 };

/** The pure decision: which event (if any) one engine event is, given the recent exits of that instance. */
export function decideContainerEvent(
  e: ContainerEvent,
  instance: { id: string; name: string; status: string; containerId: string | null },
  recentExits: number[],
  lastOom: number | undefined,
): TEventInput | null {
  if (instance.status !== "running" || !instance.containerId || instance.containerId !== e.containerId) return null;
  const consumer = { type: "instance" as const, id: instance.id, name: instance.name };
  const path = `/instances/${instance.id}`;
  // One fold key for the ways a container goes down, so a crash loop is one message whose name is the latest verdict.
  const foldKey = `instance.down:${instance.id}`;
  if (e.action.startsWith("health_status")) {
    if (!e.action.endsWith("unhealthy")) return null;
    return { event: "instance.unhealthy", consumer, path, message: `${instance.name}: its healthcheck reports unhealthy` };
  }
  if (e.action === "oom") return null; // the die that follows says it, with the exit code
  if (e.action !== "die") return null;
  const code = e.exitCode ?? "unknown";
  const oom = lastOom !== undefined && e.time * 1000 - lastOom < 5_000;
  if (oom) return { event: "instance.oom_killed", consumer, path, foldKey, message: `${instance.name}: killed for memory (exit code ${code})` };
  const exits = recentExits.length;
  if (exits >= RESTART_LOOP.exits) {
    return { event: "instance.restart_loop", consumer, path, foldKey, message: `${instance.name}: in a restart loop, exited ${exits} times in ${RESTART_LOOP.window / 60_000} minutes (last exit code ${code})` };
  }
  return { event: "instance.exited", consumer, path, foldKey, message: `${instance.name}: its container exited with code ${code}` };
}

const g = globalThis as unknown as { __wharfContainerWatch?: AbortController };

export function startContainerWatch(): boolean {
  const rt = getRuntime();
  if (g.__wharfContainerWatch || !rt.containerEvents) return false;
  const ac = (g.__wharfContainerWatch = new AbortController());
  const exits = new Map<string, number[]>();
  const ooms = new Map<string, number>();
  const loop = async () => {
    while (!ac.signal.aborted) {
      try {
        for await (const e of rt.containerEvents!(ac.signal)) await handle(e);
      } catch (err) {
        if (ac.signal.aborted) return;
        logger.warn({ op: "notify.watch", err: errorMessage(err) }, "container event stream ended: reconnecting in 5 s");
      }
      await new Promise((r) => setTimeout(r, 5_000).unref());
    }
  };
  const handle = async (e: ContainerEvent) => {
    const instanceId = e.labels[LABEL_INSTANCE];
    if (!instanceId) return;
    const at = e.time * 1000;
    if (e.action === "oom") ooms.set(instanceId, at);
    let recent = exits.get(instanceId) ?? [];
    if (e.action === "die") {
      recent = [...recent.filter((t) => at - t < RESTART_LOOP.window), at];
      exits.set(instanceId, recent);
    }
    const instance = await db.instance.findUnique({ where: { id: instanceId }, select: { id: true, name: true, status: true, containerId: true } });
    if (!instance) return;
    const decided = decideContainerEvent(e, instance, recent, ooms.get(instanceId));
    if (decided) await emitEventQuietly(decided);
  };
  void loop();
  return true;
}

export function stopContainerWatch(): void {
  g.__wharfContainerWatch?.abort();
  g.__wharfContainerWatch = undefined;
}
