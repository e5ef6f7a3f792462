import { db } from "../db";
import type { ContainerRuntime } from "../docker/types";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { identityColumns } from "./node-engines";
import { runtimeFor, runtimeOfServer } from "./server-runtime";

// Every server at once (SPEC §16): the reconciler, orphans, usage and health
// ask each one in parallel, each bounded by its own deadline, so one server
// that does not answer never stalls the others. An unreachable server is
// `down`: its instances are left alone (not repaired, failed, moved or
// deleted) until it answers again.

export interface ServerHandle {
  /** null: the built-in server "local". */
  id: string | null;
  name: string;
  rt: ContainerRuntime;
}

/** `rt` is set when the server answered; `swarm` when its `docker info` answered too (the Swarm node its engine is, issue 28). */
export type PingedServer = { id: string | null; name: string; rt?: ContainerRuntime; ok: boolean; version?: string; message?: string; swarm?: SwarmColumns };
type SwarmColumns = ReturnType<typeof identityColumns>;

/** How long a ping may take before the server counts as down (an SSH handshake included). */
const PING_DEADLINE_MS = 5_000;

export async function allServers(): Promise<Array<ServerHandle | { id: string; name: string; error: string }>> {
  const rows = await db.server.findMany({ orderBy: { name: "asc" } });
  const out: Array<ServerHandle | { id: string; name: string; error: string }> = [{ id: null, name: "local", rt: await runtimeFor(null) }];
  for (const row of rows) {
    try {
      out.push({ id: row.id, name: row.name, rt: runtimeOfServer(row) });
    } catch (err) {
      out.push({ id: row.id, name: row.name, error: errorMessage(err) });
    }
  }
  return out;
}

async function pingOne(h: ServerHandle): Promise<PingedServer> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ ok: false; message: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `no answer within ${PING_DEADLINE_MS / 1000} s` }), PING_DEADLINE_MS);
  });
  try {
    const r = await Promise.race([h.rt.ping().catch((err: unknown) => ({ ok: false as const, message: errorMessage(err) })), deadline]);
    if (!r.ok) return { id: h.id, name: h.name, ...r };
    // Within the same deadline; an info that misses it leaves the recorded node as it was (the server still answered).
    const info = await Promise.race([h.rt.engineInfo?.().catch(() => undefined), deadline.then(() => undefined)]);
    return { ...h, ...r, ...(info ? { swarm: identityColumns(info) } : {}) };
  } finally {
    clearTimeout(timer);
  }
}

/** Pings every server in parallel and records each remote one's status on its row (`up`/`down`, last seen, engine version). */
export async function pingServers(): Promise<PingedServer[]> {
  const all = await allServers();
  const pinged: PingedServer[] = await Promise.all(all.map((h) => ("rt" in h ? pingOne(h) : Promise.resolve({ id: h.id, name: h.name, ok: false, message: h.error }))));
  await Promise.all(pinged.filter((p) => p.id).map((p) => recordStatus(p.id!, p.ok, p.ok ? null : (p.message ?? "no answer"), p.version, p.swarm)));
  return pinged;
}

export async function recordStatus(id: string, ok: boolean, error: string | null, engineVersion?: string, swarm?: SwarmColumns): Promise<void> {
  try {
    await db.server.updateMany({
      where: { id },
      data: ok ? { status: "up", lastSeenAt: new Date(), lastError: null, ...(engineVersion ? { engineVersion } : {}), ...swarm } : { status: "down", lastError: error },
    });
  } catch (err) {
    logger.warn({ err: errorMessage(err), server: id }, "server status not recorded");
  }
}

