import { db } from "../db";
import { AppError } from "../errors";
import type { Server } from "../generated/prisma/client";
import { connectionOf } from "./server-runtime";
import { DockerSwarm } from "../swarm/docker-swarm";
import type { SwarmRuntime } from "../swarm/types";

// The Swarm runtime of each cluster (a server of kind "swarm", issue 28),
// built from its row like an engine's runtime and kept while the row's
// connection fields are unchanged.

const REMOTE_CALL_TIMEOUT_MS = 10_000;
type Cached = { stamp: string; swarm: SwarmRuntime };
const holder = globalThis as unknown as { __wharfSwarms?: Map<string, Cached> };
const cache = () => (holder.__wharfSwarms ??= new Map());
const stampOf = (s: Server) => JSON.stringify([s.transport, s.address, s.port, s.credentials, s.hostKeySha256]);

export function swarmOfServer(server: Server): SwarmRuntime {
  if (server.kind !== "swarm") throw new AppError("VALIDATION", `server ${server.name} is an engine, not a Swarm cluster`, { field: "server" });
  const hit = cache().get(server.id);
  if (hit && hit.stamp === stampOf(server)) return hit.swarm;
  const swarm = new DockerSwarm({ connection: connectionOf(server), timeoutMs: REMOTE_CALL_TIMEOUT_MS });
  cache().set(server.id, { stamp: stampOf(server), swarm });
  return swarm;
}

/** The cluster an instance runs on, or null when its server is an engine (or local). */
export async function clusterOf(instance: { serverId: string | null }): Promise<{ server: Server; swarm: SwarmRuntime } | null> {
  if (!instance.serverId) return null;
  const server = await db.server.findUnique({ where: { id: instance.serverId } });
  if (!server || server.kind !== "swarm") return null;
  return { server, swarm: swarmOfServer(server) };
}
