import { db } from "../db";
import type { Server } from "../generated/prisma/client";

// Which Wharf server reaches the engine of each node of a Swarm cluster
// (issue 28). A manager does not serve other nodes' container stats, so
// whatever reads a task's container (usage) asks the engine of the node it
// runs on: the cluster's own connection for the manager it points at, an
// engine server added in Wharf for any other node.
//
// A server's engine says which node it is (`docker info` Swarm.NodeID,
// recorded on its row by "Test connection" and the server monitor). A node id
// alone is not enough to trust it: only an engine of the *same* swarm may
// serve a node. A manager reports its swarm's id (Swarm.Cluster.ID); a worker
// does not (the Engine API gives it only to managers), so a worker belongs to
// the cluster when the managers it knows (Swarm.RemoteManagers) include one
// of the cluster's managers.

export interface SwarmIdentity {
  nodeId: string | null;
  clusterId: string | null;
  managerIds: string[];
}

type IdentityRow = Pick<Server, "swarmNodeId" | "swarmClusterId" | "swarmManagerIds">;

/** The columns a server row records of its engine's `docker info`. */
export function identityColumns(info: { swarmNodeId: string | null; swarmClusterId: string | null; swarmManagerIds: string[] }): IdentityRow {
  if (!info.swarmNodeId) return { swarmNodeId: null, swarmClusterId: null, swarmManagerIds: null };
  return { swarmNodeId: info.swarmNodeId, swarmClusterId: info.swarmClusterId, swarmManagerIds: JSON.stringify(info.swarmManagerIds) };
}

export function identityOf(row: IdentityRow): SwarmIdentity {
  let managerIds: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.swarmManagerIds ?? "[]");
    if (Array.isArray(parsed)) managerIds = parsed.filter((x): x is string => typeof x === "string");
  } catch {
    // An unreadable record counts as knowing no manager: the server is not used for any node.
  }
  return { nodeId: row.swarmNodeId, clusterId: row.swarmClusterId, managerIds };
}

/** Whether `engine` belongs to the swarm whose manager says it is `cluster` (the cluster's own engine identity). */
export function sameSwarm(cluster: SwarmIdentity, engine: SwarmIdentity): boolean {
  if (!cluster.nodeId || !engine.nodeId) return false;
  // A manager names its swarm: it must be the cluster's (a server of another swarm whose node id collides is never used).
  if (engine.clusterId) return !!cluster.clusterId && engine.clusterId === cluster.clusterId;
  const managers = new Set([cluster.nodeId, ...cluster.managerIds]);
  return engine.managerIds.some((id) => managers.has(id));
}

export interface NodeEngine {
  serverId: string;
  name: string;
  /** Recorded down by the server monitor: not asked until it answers again. */
  down: boolean;
}

/**
 * Node id → the server that reads it: the cluster itself for the node its
 * engine is, and for every other node an engine server (not a cluster) of the
 * same swarm recording that node id; when several do, one that is up first,
 * then by name.
 */
export function nodeEngines(
  cluster: { id: string; name: string; status: string; identity: SwarmIdentity },
  servers: Array<Pick<Server, "id" | "name" | "kind" | "status"> & IdentityRow>,
): Map<string, NodeEngine> {
  const out = new Map<string, NodeEngine>();
  if (cluster.identity.nodeId) out.set(cluster.identity.nodeId, { serverId: cluster.id, name: cluster.name, down: cluster.status === "down" });
  const candidates = servers
    .filter((s) => s.id !== cluster.id && s.kind !== "swarm")
    .sort((a, b) => Number(a.status === "down") - Number(b.status === "down") || a.name.localeCompare(b.name));
  for (const s of candidates) {
    const identity = identityOf(s);
    if (!identity.nodeId || out.has(identity.nodeId) || !sameSwarm(cluster.identity, identity)) continue;
    out.set(identity.nodeId, { serverId: s.id, name: s.name, down: s.status === "down" });
  }
  return out;
}

/** The engines of a cluster's nodes from the recorded rows (the Servers page's node list). */
export async function recordedNodeEngines(cluster: Server): Promise<Map<string, NodeEngine>> {
  const servers = await db.server.findMany({ where: { swarmNodeId: { not: null } } });
  return nodeEngines({ id: cluster.id, name: cluster.name, status: cluster.status, identity: identityOf(cluster) }, servers);
}
