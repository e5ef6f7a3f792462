import { db } from "../db";
import { AppError } from "../errors";
import { LOCAL_SERVER } from "./server-runtime";

/** An instance's `server` (an id or a name) → the server's id; null for the built-in "local". */
export async function resolveServerRef(ref: string | undefined, field = "server"): Promise<string | null> {
  if (!ref || ref === LOCAL_SERVER) return null;
  const row = (await db.server.findUnique({ where: { id: ref }, select: { id: true } })) ?? (await db.server.findUnique({ where: { name: ref }, select: { id: true } }));
  if (!row) throw new AppError("VALIDATION", `${field}: no server named ${ref}`, { field });
  return row.id;
}

/** Name and recorded status of every remote server, for presenting many instances at once (there are few servers). */
export async function serverDirectory(): Promise<Map<string, { name: string; status: string }>> {
  const rows = await db.server.findMany({ select: { id: true, name: true, status: true } });
  return new Map(rows.map((r) => [r.id, { name: r.name, status: r.status }]));
}

/** `replicas`, `placement`, `pinVolumes` and `pinNode` mean something on a Swarm cluster only (issue 28). */
export async function assertClusterFields(serverId: string | null, input: { replicas?: number; placement?: string[]; pinVolumes?: boolean; pinNode?: string }): Promise<void> {
  const field = (["replicas", "placement", "pinVolumes", "pinNode"] as const).find((k) => input[k] !== undefined);
  if (!field) return;
  const kind = serverId ? (await db.server.findUnique({ where: { id: serverId }, select: { kind: true } }))?.kind : "engine";
  if (kind === "swarm") return;
  throw new AppError("VALIDATION", `${field}: only an instance on a Swarm cluster has ${field}; this one runs on an engine`, { field });
}
