import { AppError } from "../errors";
import { resolveLocalBindSources, type BindRequest } from "../docker/bind-source";
import type { ContainerRuntime } from "../docker/types";
import { LABEL_INSTALLATION, LABEL_MANAGED, volumeLabels } from "../naming";
import { installationId } from "../secrets";
import type { TMount } from "./spec-schemas";

// Mounts are judged where they are used (issue 21): when a request stores
// them, and again at every container create (deploy, redeploy, rollback,
// start, stop-first, repair, auto-update), because what a path points to can
// change between the two: a missing source later replaced by a symlink to `/`
// would otherwise give the next container the host's root. Starting an
// existing container re-checks its binds in the runtime (startContainer).
// Where the sources are resolved is the runtime's: on this machine against
// WHARF_BIND_ROOT for the local server, on the server itself against its
// bind root for a remote one (lib/servers/remote-bind-sources.ts).

export { isUnder, resolveBindSource } from "../docker/bind-source";

/**
 * A named volume may be mounted when Wharf created it (wharf.managed=true)
 * or the operator adopted it; Wharf's own volumes (its data) never. A volume
 * that does not exist yet is created with Wharf's labels when `create` is set.
 */
export async function checkVolume(opts: { rt: ContainerRuntime; mount: Extract<TMount, { type: "volume" }>; field: string; instanceId: string; create: boolean }): Promise<void> {
  const { rt, mount, field } = opts;
  const own = (await rt.selfVolumeNames?.()) ?? [];
  if (own.includes(mount.name)) throw new AppError("FORBIDDEN", `${field}: volume ${mount.name} holds Wharf's own data and is never mounted into an instance`, { field });
  const existing = await rt.inspectVolume(mount.name);
  if (!existing) {
    if (opts.create) await rt.ensureVolume(mount.name, volumeLabels(opts.instanceId, installationId()));
    return;
  }
  if (mount.adopt) return;
  const installation = existing.labels[LABEL_INSTALLATION];
  // Another installation's volume is foreign like its containers (issue 22); a pre-label Wharf volume stays usable.
  if (existing.labels[LABEL_MANAGED] === "true" && installation && installation !== installationId()) {
    throw new AppError("FORBIDDEN", `${field}: volume ${mount.name} belongs to another Wharf installation (${installation}); an admin may adopt it with adopt: true`, { field });
  }
  if (existing.labels[LABEL_MANAGED] === "true") return;
  throw new AppError("FORBIDDEN", `${field}: volume ${mount.name} was not created by Wharf (no ${LABEL_MANAGED}=true label); an admin may adopt it with adopt: true`, { field });
}

/** Real paths of `binds` on `rt`'s host, in order (a double without its own resolver: this machine's). */
export function resolveBindSources(rt: ContainerRuntime, binds: BindRequest[]): Promise<string[]> {
  if (!binds.length) return Promise.resolve([]);
  return rt.resolveBindSources ? rt.resolveBindSources(binds) : resolveLocalBindSources(binds);
}

/** The bind mounts of `mounts` as requests naming their fields (`mounts.<i>.source`). */
export function bindRequests(mounts: TMount[]): BindRequest[] {
  return mounts.flatMap((m, i) => (m.type === "bind" ? [{ source: m.source, field: `mounts.${i}.source` }] : []));
}

/**
 * The mounts a container is created with: every bind source re-resolved
 * (the real path replaces the typed one), every volume checked (and created
 * when missing). Throws naming the first refused mount, before anything starts.
 */
export async function mountsForCreate(opts: { rt: ContainerRuntime; instanceId: string; mounts: TMount[] }): Promise<TMount[]> {
  const reals = await resolveBindSources(opts.rt, bindRequests(opts.mounts));
  const out: TMount[] = [];
  for (const [i, m] of opts.mounts.entries()) {
    if (m.type === "bind") out.push({ ...m, source: reals.shift()! });
    else {
      await checkVolume({ rt: opts.rt, mount: m, field: `mounts.${i}.name`, instanceId: opts.instanceId, create: true });
      out.push(m);
    }
  }
  return out;
}
