import { db } from "../db";
import { runtimeFor, LOCAL_SERVER } from "../servers/server-runtime";
import { resolveServerRef } from "../servers/resolve-server";
import type { ContainerRuntime, VolumeInfo } from "../docker/types";
import { AppError, errorMessage } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_MANAGED, labelOwner } from "../naming";
import { installationId } from "../secrets";
import type { Instance } from "../generated/prisma/client";
import { specOf, previousSpecOf } from "./runtime-spec";

// Named volumes outlive their containers (SPEC §5): a removed instance leaves
// them "kept", to be attached to a new instance or deleted by the operator.
// Wharf deletes only volumes labelled wharf.managed=true (SPEC §4.8).
// A named volume lives on one engine: every engine server is listed (in
// parallel, each call under the runtime's deadline), a volume is known by
// its server and its name, and one server that does not answer is named in
// `unavailable` instead of hiding the others.

/** A volume's key: the same name on two servers is two volumes. */
const volumeKey = (serverId: string | null, name: string) => `${serverId ?? LOCAL_SERVER}\u0000${name}`;

/** Volume names an instance mounts now or through its rollback target. */
export function instanceVolumeNames(instance: Instance): string[] {
  const all = [...specOf(instance).mounts, ...previousSpecOf(instance).mounts];
  return [...new Set(all.flatMap((m) => (m.type === "volume" ? [m.name] : [])))];
}

/** (server, volume name) → the instance that mounts it, over every live instance. */
async function mountedBy(): Promise<Map<string, { id: string; name: string }>> {
  const out = new Map<string, { id: string; name: string }>();
  for (const i of await db.instance.findMany({ where: { status: { not: "removed" } } })) {
    for (const v of instanceVolumeNames(i)) out.set(volumeKey(i.serverId, v), { id: i.id, name: i.name });
  }
  return out;
}

/** At removal: with `confirmed`, the instance's Wharf volumes that no other instance mounts are deleted; otherwise all are kept. */
export async function deleteInstanceVolumes(opts: { instance: Instance; confirmed: boolean }): Promise<{ deleted: string[]; kept: string[] }> {
  const names = instanceVolumeNames(opts.instance);
  if (!names.length) return { deleted: [], kept: [] };
  if (!opts.confirmed) return { deleted: [], kept: names };
  const rt = await runtimeFor(opts.instance.serverId);
  const managed = new Map((await rt.listManagedVolumes()).map((v) => [v.name, v]));
  const users = await mountedBy();
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const n of names) {
    const other = users.get(volumeKey(opts.instance.serverId, n));
    // A foreign volume (no wharf label) the operator attached by name is never Wharf's to delete.
    if (!managed.has(n) || (other && other.id !== opts.instance.id)) {
      kept.push(n);
      continue;
    }
    await rt.removeVolume(n);
    deleted.push(n);
  }
  return { deleted, kept };
}

export interface TVolumeView {
  /** The server the volume lives on ("local" or a server's name) and its id (null: local). */
  server: string;
  serverId: string | null;
  name: string;
  sizeBytes: number | null;
  createdAt: string | null;
  /** The instance that mounts it now, or null: a kept volume (its original instance was removed). */
  instance: { id: string; name: string } | null;
  /** The instance id it was created for (label), which may no longer exist. */
  createdFor: string | null;
}

export interface TVolumeList {
  volumes: TVolumeView[];
  /** Servers whose volumes could not be listed, with why: their volumes are missing from `volumes`. */
  unavailable: Array<{ server: string; error: string }>;
}

/** The engines volumes live on: local and every remote engine (a Swarm cluster's volumes live on its nodes, not listed here). */
async function volumeServers(): Promise<Array<{ id: string | null; name: string }>> {
  const rows = await db.server.findMany({ where: { kind: "engine" }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  return [{ id: null, name: LOCAL_SERVER }, ...rows];
}

/** Wharf's volumes on every engine server, with their sizes (engine's system df) and who mounts them. */
export async function listVolumes(opts: { withSize?: boolean } = {}): Promise<TVolumeList> {
  const [servers, users] = await Promise.all([volumeServers(), mountedBy()]);
  const lists = await Promise.all(
    servers.map(async (srv) => {
      try {
        return { srv, vols: await (await runtimeFor(srv.id)).listManagedVolumes({ withSize: opts.withSize ?? true }) };
      } catch (err) {
        return { srv, error: errorMessage(err) };
      }
    }),
  );
  const volumes: TVolumeView[] = [];
  const unavailable: TVolumeList["unavailable"] = [];
  for (const l of lists) {
    if (!l.vols) {
      unavailable.push({ server: l.srv.name, error: l.error ?? "no answer" });
      continue;
    }
    const at = (v: VolumeInfo) => users.get(volumeKey(l.srv.id, v.name));
    // Another installation's volumes are not listed (nor deletable); one from before the label only when a row of this installation names it.
    const claimed = await claimedLegacy(l.vols.filter((v) => labelOwner(v.labels, installationId()) === "legacy"));
    for (const v of l.vols) {
      if (!(labelOwner(v.labels, installationId()) === "mine" || claimed.has(v.name) || at(v))) continue;
      volumes.push({ server: l.srv.name, serverId: l.srv.id, name: v.name, sizeBytes: v.sizeBytes, createdAt: v.createdAt, instance: at(v) ?? null, createdFor: v.labels[LABEL_INSTANCE] ?? null });
    }
  }
  volumes.sort((a, b) => Number(a.instance !== null) - Number(b.instance !== null) || a.server.localeCompare(b.server) || a.name.localeCompare(b.name));
  return { volumes, unavailable };
}

/** Volumes from before the installation label whose instance label names a row of this installation (removed instances keep their row). */
async function claimedLegacy(vols: VolumeInfo[]): Promise<Set<string>> {
  const ids = [...new Set(vols.map((v) => v.labels[LABEL_INSTANCE]).filter((id): id is string => !!id))];
  if (ids.length === 0) return new Set();
  const rows = new Set((await db.instance.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
  return new Set(vols.filter((v) => rows.has(v.labels[LABEL_INSTANCE] ?? "")).map((v) => v.name));
}

/** Kept volumes no instance mounts: what the reconciler reports as orphans (and never deletes). */
export async function listUnattachedVolumes(): Promise<TVolumeList> {
  const all = await listVolumes({ withSize: false });
  return { volumes: all.volumes.filter((v) => v.instance === null), unavailable: all.unavailable };
}

/** Operator's delete of a kept volume on `server` (a name or id; default local): only Wharf's, and only when no instance mounts it. */
export async function deleteVolume(opts: { actor: Actor; name: string; server?: string }): Promise<{ name: string; server: string; deleted: true }> {
  const serverId = await resolveServerRef(opts.server || undefined);
  const server = serverId ? (await db.server.findUniqueOrThrow({ where: { id: serverId }, select: { name: true } })).name : LOCAL_SERVER;
  const rt: ContainerRuntime = await runtimeFor(serverId);
  const vol = (await rt.listManagedVolumes()).find((v) => v.name === opts.name);
  if (!vol) throw new AppError("NOT_FOUND", `volume ${opts.name} on server ${server} is not a Wharf volume (only volumes labelled ${LABEL_MANAGED}=true are listed and deleted)`);
  const who = labelOwner(vol.labels, installationId());
  if (who === "other") throw new AppError("FOREIGN_RESOURCE", `volume ${opts.name} belongs to Wharf installation ${vol.labels[LABEL_INSTALLATION]}, not this one: Wharf does not delete it`);
  if (who === "legacy" && !(await claimedLegacy([vol])).has(vol.name)) {
    throw new AppError("FOREIGN_RESOURCE", `volume ${opts.name} carries no ${LABEL_INSTALLATION} label and no instance of this installation names it: it may be another installation's, so Wharf does not delete it`);
  }
  const user = (await mountedBy()).get(volumeKey(serverId, opts.name));
  if (user) throw new AppError("CONFLICT", `volume ${opts.name} is mounted by instance ${user.name}: change its mounts or remove it first`);
  await rt.removeVolume(opts.name);
  await recordEvent({ actor: opts.actor, action: "volume.delete", target: serverId ? `${server}/${opts.name}` : opts.name, result: "ok" });
  return { name: opts.name, server, deleted: true };
}
