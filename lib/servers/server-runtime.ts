import { db } from "../db";
import { getRuntime } from "../docker";
import type { DockerConnection } from "../docker/connection";
import { DockerodeRuntime } from "../docker/dockerode";
import { closeSshConnection } from "../docker/ssh-transport";
import type { ContainerRuntime } from "../docker/types";
import { AppError } from "../errors";
import type { Server } from "../generated/prisma/client";
import { openCredentials } from "./credentials";
import { remoteBindResolver } from "./remote-bind-sources";
import type { BindResolver } from "../docker/bind-source";

// The container runtime of each server (SPEC §16). The built-in server
// "local" (serverId null) is the process-wide runtime of lib/docker; a remote
// one is built from its row and kept while the row is unchanged (its SSH
// connection is shared by every call). A changed or deleted row drops it.

export const LOCAL_SERVER = "local";

/** Per call on a remote engine: one server that does not answer never stalls the others. */
const REMOTE_CALL_TIMEOUT_MS = 10_000;

type Cached = { stamp: string; runtime: ContainerRuntime; connection: DockerConnection };
const holder = globalThis as unknown as { __wharfServerRuntimes?: Map<string, Cached> };
const cache = () => (holder.__wharfServerRuntimes ??= new Map());

export type ServerRow = Pick<Server, "id" | "name" | "transport" | "address" | "port" | "credentials" | "hostKeySha256">;

/** The engine connection a server row describes; SSH needs a pinned host key (pass `hostKey` to use one being pinned). */
export function connectionOf(server: ServerRow, hostKey?: string): DockerConnection {
  const creds = openCredentials(server);
  if ("tls" in creds) return { kind: "tls", host: server.address, port: server.port, ...creds.tls };
  const key = hostKey ?? server.hostKeySha256;
  if (!key) throw new AppError("VALIDATION", `server ${server.name}: its SSH host key is not pinned yet; run "Test connection" and confirm the fingerprint`, { field: "ssh.hostKeySha256" });
  return { kind: "ssh", host: server.address, port: server.port, username: creds.ssh.user, privateKey: creds.ssh.privateKey, hostKey: key };
}

export function runtimeForConnection(connection: DockerConnection, bindResolver?: BindResolver): ContainerRuntime {
  return new DockerodeRuntime({ connection, timeoutMs: REMOTE_CALL_TIMEOUT_MS, bindResolver });
}

// What the connection is built from: a status write (updatedAt) must not drop a live SSH connection.
const stampOf = (s: ServerRow) => JSON.stringify([s.transport, s.address, s.port, s.credentials, s.hostKeySha256]);

/** The runtime of a server row (cached while the row is unchanged). */
export function runtimeOfServer(server: ServerRow): ContainerRuntime {
  const hit = cache().get(server.id);
  if (hit && hit.stamp === stampOf(server)) return hit.runtime;
  if (hit) forgetConnection(hit.connection);
  const connection = connectionOf(server);
  // Bind sources are resolved on the server itself, against its own bind root.
  const runtime: ContainerRuntime = runtimeForConnection(connection, remoteBindResolver(server.id, () => runtime));
  cache().set(server.id, { stamp: stampOf(server), runtime, connection });
  return runtime;
}

/** The runtime of the server an instance (or anything placed on a server) runs on. */
export async function runtimeFor(serverId: string | null | undefined): Promise<ContainerRuntime> {
  if (!serverId) return getRuntime();
  const server = await db.server.findUnique({ where: { id: serverId } });
  if (!server) throw new AppError("NOT_FOUND", `server ${serverId} not found`);
  return runtimeOfServer(server);
}

/** Drops a server's cached runtime and closes its SSH connection once idle (after an edit or a delete). */
export function forgetServer(serverId: string): void {
  const hit = cache().get(serverId);
  cache().delete(serverId);
  if (hit) forgetConnection(hit.connection);
}

function forgetConnection(c: DockerConnection): void {
  // Calls in progress finish first (the transport retires a connection only once its channels closed).
  if (c.kind === "ssh") void closeSshConnection({ host: c.host, port: c.port }).catch(() => {});
}
