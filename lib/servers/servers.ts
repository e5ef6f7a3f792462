import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import type { Server } from "../generated/prisma/client";
import { parseInput } from "../validation";
import { openCredentials, sealCredentials, type ServerCredentials } from "./credentials";
import { ZNodeUpdateSchema, ZServerCreateSchema, ZServerUpdateSchema, type TServerCreate } from "./schemas";
import { swarmOfServer } from "./cluster";
import { recordedNodeEngines } from "./node-engines";
import type { NodeInfo } from "../swarm/types";
import { forgetServer, LOCAL_SERVER } from "./server-runtime";

// /api/servers (SPEC §16): remote Docker engines. Admin only (the routes say
// so); every change audited. Credentials are write-only: answers say which
// are set, never their values; the private key and TLS key never leave.

const DEFAULT_PORT = { tls: 2376, ssh: 22 } as const;

/** The built-in server: the local socket, always there, not editable here. */
function localServer(counts: Map<string | null, number>) {
  return { id: LOCAL_SERVER, name: LOCAL_SERVER, kind: "engine", transport: "local", address: null, port: null, upstreamAddress: null, labels: {}, bindRoot: env().WHARF_BIND_ROOT ?? null, status: "up", lastSeenAt: null, lastError: null, engineVersion: null, instances: counts.get(null) ?? 0, builtIn: true };
}

export function presentServer(row: Server, instances = 0) {
  let credentials: Record<string, unknown>;
  try {
    const c = openCredentials(row);
    credentials = "tls" in c ? { tls: { caSet: true, certSet: true, keySet: true } } : { ssh: { user: c.ssh.user, privateKeySet: true, hostKeySha256: row.hostKeySha256 } };
  } catch (err) {
    credentials = { error: (err as Error).message };
  }
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    transport: row.transport,
    address: row.address,
    port: row.port,
    upstreamAddress: row.upstreamAddress,
    labels: JSON.parse(row.labels) as Record<string, string>,
    bindRoot: row.bindRoot,
    status: row.status,
    lastSeenAt: row.lastSeenAt,
    lastError: row.lastError,
    engineVersion: row.engineVersion,
    containers: row.containers,
    instances,
    builtIn: false,
    ...credentials,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
export type TServerView = ReturnType<typeof presentServer> | ReturnType<typeof localServer>;

async function instanceCounts(): Promise<Map<string | null, number>> {
  const groups = await db.instance.groupBy({ by: ["serverId"], where: { status: { not: "removed" } }, _count: { _all: true } });
  return new Map(groups.map((g) => [g.serverId, g._count._all]));
}

export async function listServers(): Promise<TServerView[]> {
  const [rows, counts] = await Promise.all([db.server.findMany({ orderBy: { name: "asc" } }), instanceCounts()]);
  return [localServer(counts), ...rows.map((r) => presentServer(r, counts.get(r.id) ?? 0))];
}

export async function getServerRow(id: string): Promise<Server> {
  if (id === LOCAL_SERVER) throw new AppError("VALIDATION", "server local is the built-in local socket: it is not edited here (DOCKER_HOST sets it)", { field: "id" });
  const row = (await db.server.findUnique({ where: { id } })) ?? (await db.server.findUnique({ where: { name: id } }));
  if (!row) throw new AppError("NOT_FOUND", `server ${id} not found`);
  return row;
}

/** A cluster's node with the Wharf server that reaches its engine (where its tasks' usage is read), or null: not added. */
export type TNodeView = NodeInfo & { engineServer: string | null };

export async function getServer(id: string): Promise<TServerView & { nodes?: TNodeView[] | null; nodesError?: string }> {
  if (id === LOCAL_SERVER) return localServer(await instanceCounts());
  const row = await getServerRow(id);
  const view = presentServer(row, await db.instance.count({ where: { serverId: row.id, status: { not: "removed" } } }));
  if (row.kind !== "swarm") return view;
  // A cluster's nodes, as its manager sees them now (SPEC §16).
  try {
    const [nodes, engines] = await Promise.all([swarmOfServer(row).listNodes(), recordedNodeEngines(row)]);
    return { ...view, nodes: nodes.map((n) => ({ ...n, engineServer: engines.get(n.id)?.name ?? null })) };
  } catch (err) {
    return { ...view, nodes: null, nodesError: (err as Error).message };
  }
}

/** PATCH /api/servers/{id}/nodes/{nodeId}: a node's availability (active, pause, drain) and labels; audited. */
export async function updateNode(opts: { actor: Actor; id: string; nodeId: string; body: unknown }): Promise<NodeInfo> {
  const input = parseInput(ZNodeUpdateSchema, opts.body);
  const row = await getServerRow(opts.id);
  if (row.kind !== "swarm") throw new AppError("VALIDATION", `server ${row.name} is an engine, not a Swarm cluster: it has no nodes`, { field: "id" });
  const node = await swarmOfServer(row).updateNode(opts.nodeId, input);
  await recordEvent({ actor: opts.actor, action: "server.node.update", target: `${row.name}/${node.hostname}`, result: "ok", message: JSON.stringify(input) });
  return node;
}

async function assertNameFree(name: string, exceptId?: string) {
  const clash = await db.server.findUnique({ where: { name } });
  if (clash && clash.id !== exceptId) throw new AppError("CONFLICT", `name: a server named ${name} exists`, { field: "name" });
}

function credentialsOf(input: Pick<TServerCreate, "tls" | "ssh">): ServerCredentials | null {
  if (input.tls) return { tls: input.tls };
  if (input.ssh) return { ssh: { user: input.ssh.user, privateKey: input.ssh.privateKey } };
  return null;
}

export async function createServer(opts: { actor: Actor; body: unknown }): Promise<TServerView> {
  const input = parseInput(ZServerCreateSchema, opts.body);
  await assertNameFree(input.name);
  const port = input.port ?? DEFAULT_PORT[input.transport];
  let row: Server;
  try {
    row = await db.server.create({
      data: {
        name: input.name,
        kind: input.kind,
        transport: input.transport,
        address: input.address,
        port,
        upstreamAddress: input.upstreamAddress ?? input.address,
        labels: JSON.stringify(input.labels),
        bindRoot: input.bindRoot ?? null,
        credentials: sealCredentials(credentialsOf(input)!, input.address, port),
        hostKeySha256: input.ssh?.hostKeySha256 ?? null,
        status: "unknown",
      },
    });
  } catch (err) {
    if ((err as { code?: string }).code === "P2002") throw new AppError("CONFLICT", `name: a server named ${input.name} exists`, { field: "name" });
    throw err;
  }
  await recordEvent({ actor: opts.actor, action: "server.create", target: `${row.name} (${row.transport}://${row.address}:${row.port})`, result: "ok" });
  return presentServer(row);
}

export async function updateServer(opts: { actor: Actor; id: string; body: unknown }): Promise<TServerView> {
  const input = parseInput(ZServerUpdateSchema, opts.body);
  const row = await getServerRow(opts.id);
  if (input.name !== undefined) await assertNameFree(input.name, row.id);
  if (input.tls && row.transport !== "tls") throw new AppError("VALIDATION", `tls: server ${row.name} is reached over ${row.transport}`, { field: "tls" });
  if (input.ssh && row.transport !== "ssh") throw new AppError("VALIDATION", `ssh: server ${row.name} is reached over ${row.transport}`, { field: "ssh" });
  if (input.bindRoot && row.kind === "swarm") throw new AppError("VALIDATION", `bindRoot: server ${row.name} is a Swarm cluster: bind mounts are per node there; use named volumes`, { field: "bindRoot" });
  const address = input.address ?? row.address;
  const port = input.port ?? row.port;
  const moved = address !== row.address || port !== row.port;
  const fresh = credentialsOf(input);
  // A stored secret never follows a changed address: a new address needs the credentials again.
  if (moved && !fresh) {
    const field = row.transport === "tls" ? "tls" : "ssh";
    throw new AppError("VALIDATION", `${field}: the credentials are bound to ${row.address}:${row.port}; enter them again for ${address}:${port}`, { field });
  }
  // A new address (or new SSH credentials) is a new host: its key is pinned again unless given.
  const hostKeySha256 = input.ssh?.hostKeySha256 ?? (moved ? null : row.hostKeySha256);
  const updated = await db.server.update({
    where: { id: row.id },
    data: {
      name: input.name,
      address,
      port,
      upstreamAddress: input.upstreamAddress,
      labels: input.labels ? JSON.stringify(input.labels) : undefined,
      bindRoot: input.bindRoot,
      credentials: fresh ? sealCredentials(fresh, address, port) : undefined,
      hostKeySha256,
      ...(moved || fresh ? { status: "unknown", lastError: null } : {}),
    },
  });
  forgetServer(row.id);
  await recordEvent({ actor: opts.actor, action: "server.update", target: updated.name, result: "ok", message: Object.keys(input).join(", ") });
  return presentServer(updated, await db.instance.count({ where: { serverId: row.id, status: { not: "removed" } } }));
}

export async function deleteServer(opts: { actor: Actor; id: string }): Promise<void> {
  const row = await getServerRow(opts.id);
  const users = await db.instance.findMany({ where: { serverId: row.id, status: { not: "removed" } }, select: { name: true }, orderBy: { name: "asc" }, take: 11 });
  if (users.length) {
    const names = users.slice(0, 10).map((u) => u.name).join(", ") + (users.length > 10 ? ", …" : "");
    throw new AppError("CONFLICT", `server ${row.name} has instances (${names}): remove or move them first`, { details: { instances: users.map((u) => u.name) } });
  }
  try {
    // Removed instances keep their row (history) but no longer hold the server; a live one still does (the foreign key refuses).
    await db.$transaction([db.instance.updateMany({ where: { serverId: row.id, status: "removed" }, data: { serverId: null } }), db.server.delete({ where: { id: row.id } })]);
  } catch (err) {
    // An instance created on it between the check and the delete: the foreign key refuses.
    if ((err as { code?: string }).code === "P2003") throw new AppError("CONFLICT", `server ${row.name} has instances: remove or move them first`);
    throw err;
  }
  forgetServer(row.id);
  await recordEvent({ actor: opts.actor, action: "server.delete", target: row.name, result: "ok" });
}
