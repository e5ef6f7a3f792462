import { createHash } from "node:crypto";
import { db } from "../db";
import { getRuntime } from "../docker";
import type { ContainerEvent, ContainerRuntime } from "../docker/types";
import { LOCAL_SERVER, runtimeOfServer } from "../servers/server-runtime";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { LABEL_INSTANCE } from "../naming";
import { emitEventQuietly, type TEventInput } from "../outbox/emit-event";

// Instance exited / OOM-killed / in a restart loop / unhealthy, from each
// engine server's event stream. Only the serving container of an instance Wharf
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

type Watch = { ac: AbortController; key: string };
const g = globalThis as unknown as { __wharfContainerWatch?: Map<string, Watch> };
const watches = () => (g.__wharfContainerWatch ??= new Map());

/** What a watch's connection depends on: a server whose address, transport, credentials or host key changed is watched anew. */
const connectionKey = (s: { transport: string; address: string; port: number; credentials: string; hostKeySha256: string | null }) =>
  `${s.transport}|${s.address}|${s.port}|${s.hostKeySha256 ?? ""}|${createHash("sha256").update(s.credentials).digest("hex").slice(0, 16)}`;

/** The local engine's events are watched from now on (see watchServers for the remote ones). false when already watched or the runtime has no events. */
export function startContainerWatch(): boolean {
  if (watches().has(LOCAL_SERVER)) return false;
  return watch(null, LOCAL_SERVER, LOCAL_SERVER, getRuntime());
}

/**
 * Every engine server's events, not only the local one's (issue 27): a watch
 * per remote engine, started for a new server, restarted when its connection
 * changed, stopped for a deleted one. Called on each pass of the worker that
 * holds the notifications lease. A server that does not answer is retried
 * by its own loop every 5 s without holding up the others.
 */
export async function watchServers(): Promise<void> {
  startContainerWatch();
  const rows = await db.server.findMany({ where: { kind: "engine" }, select: { id: true, name: true, transport: true, address: true, port: true, credentials: true, hostKeySha256: true } });
  const wanted = new Map(rows.map((r) => [r.id, r]));
  for (const [id, w] of watches()) {
    if (id === LOCAL_SERVER) continue;
    const row = wanted.get(id);
    if (!row || connectionKey(row) !== w.key) {
      w.ac.abort();
      watches().delete(id);
    }
  }
  for (const row of rows) {
    if (watches().has(row.id)) continue;
    try {
      watch(row.id, row.name, connectionKey(row), runtimeOfServer(row));
    } catch (err) {
      logger.warn({ op: "notify.watch", server: row.name, err: errorMessage(err) }, "container events of a server not watched");
    }
  }
}

function watch(serverId: string | null, serverName: string, key: string, rt: ContainerRuntime): boolean {
  if (!rt.containerEvents) return false;
  const ac = new AbortController();
  watches().set(serverId ?? LOCAL_SERVER, { ac, key });
  const exits = new Map<string, number[]>();
  const ooms = new Map<string, number>();
  const loop = async () => {
    while (!ac.signal.aborted) {
      try {
        for await (const e of rt.containerEvents!(ac.signal)) await handle(e);
      } catch (err) {
        if (ac.signal.aborted) return;
        logger.warn({ op: "notify.watch", server: serverName, err: errorMessage(err) }, "container event stream ended: reconnecting in 5 s");
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
    const instance = await db.instance.findUnique({ where: { id: instanceId }, select: { id: true, name: true, status: true, containerId: true, serverId: true } });
    // Only the server the instance lives on speaks for it (a container left on the server it moved from is not its serving one).
    if (!instance || instance.serverId !== serverId) return;
    const decided = decideContainerEvent(e, instance, recent, ooms.get(instanceId));
    if (decided) await emitEventQuietly(decided);
  };
  void loop();
  return true;
}

export function stopContainerWatch(): void {
  for (const w of watches().values()) w.ac.abort();
  watches().clear();
}
