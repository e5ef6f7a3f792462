import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { volumeName } from "../naming";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { bindRequests, checkVolume, isUnder, resolveBindSource, resolveBindSources } from "./check-mounts";
import type { TLimits } from "../container-limits";
import type { TDeployStrategy, TMount, TMountInput, TReservations, TRuntimeSpec } from "./spec-schemas";

type SpecInput = { mounts?: TMountInput[]; limits?: Partial<TLimits>; reservations?: Partial<TReservations>; command?: string[] | null; entrypoint?: string[] | null; deployStrategy?: TDeployStrategy };
type SpecRow = Pick<Instance, "mounts" | "memoryMb" | "cpus" | "pidsLimit" | "reservationMemoryMb" | "reservationCpus" | "command" | "entrypoint" | "deployStrategy">;

function json<T>(raw: string | null | undefined, fallback: T): T {
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

/** The runtime spec an instance row holds now. */
export function specOf(row: SpecRow): TRuntimeSpec {
  return {
    mounts: json<TMount[]>(row.mounts, []),
    limits: { memoryMb: row.memoryMb ?? null, cpus: row.cpus ?? null, pidsLimit: row.pidsLimit ?? null },
    reservations: { memoryMb: row.reservationMemoryMb ?? null, cpus: row.reservationCpus ?? null },
    command: json<string[] | null>(row.command, null),
    entrypoint: json<string[] | null>(row.entrypoint, null),
    deployStrategy: row.deployStrategy === "stop-first" ? "stop-first" : "blue-green",
  };
}

const NO_RESERVATIONS: TReservations = { memoryMb: null, cpus: null };

/** The spec the rollback target was created with (rows from before issue 14 have none: the current one). */
export function previousSpecOf(instance: Instance): TRuntimeSpec {
  if (!instance.previousSpec) return specOf(instance);
  try {
    const spec = JSON.parse(instance.previousSpec) as TRuntimeSpec;
    return { ...spec, reservations: spec.reservations ?? NO_RESERVATIONS };
  } catch {
    return specOf(instance);
  }
}

/** The columns a spec is written to. */
export function specColumns(spec: TRuntimeSpec) {
  return {
    mounts: JSON.stringify(spec.mounts),
    memoryMb: spec.limits.memoryMb,
    cpus: spec.limits.cpus,
    pidsLimit: spec.limits.pidsLimit,
    reservationMemoryMb: spec.reservations?.memoryMb ?? null,
    reservationCpus: spec.reservations?.cpus ?? null,
    command: spec.command ? JSON.stringify(spec.command) : null,
    entrypoint: spec.entrypoint ? JSON.stringify(spec.entrypoint) : null,
    deployStrategy: spec.deployStrategy,
  };
}

/** Whether two specs differ (a spec change makes a redeploy even when the image is the same). */
export function sameSpec(a: TRuntimeSpec, b: TRuntimeSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export { isUnder };

/**
 * A bind mount's source must exist and its real path lie under
 * WHARF_BIND_ROOT (unset: bind mounts are refused), so a bind mount cannot
 * expose `/` or the Docker socket unless the operator chose so.
 */
export async function checkBindSource(source: string, field: string): Promise<void> {
  await resolveBindSource(source, field);
}

/**
 * The spec the next container generation runs with: `input` over `current`
 * (or, for a new instance, over the Settings' default limits). Volume names
 * are resolved, bind sources checked, and a volume another instance mounts is refused.
 */
export async function resolveSpec(opts: { instance: { id: string; name: string; serverId?: string | null }; current: TRuntimeSpec | null; input: SpecInput; settings: TSettings; actor?: Actor }): Promise<TRuntimeSpec> {
  const { instance, current, input } = opts;
  const base: TRuntimeSpec = current ?? { mounts: [], limits: { ...opts.settings.limits }, reservations: NO_RESERVATIONS, command: null, entrypoint: null, deployStrategy: "blue-green" };
  const mounts: TMount[] = input.mounts
    ? input.mounts.map((m) =>
        m.type === "volume"
          ? { type: "volume", name: m.name ?? volumeName(instance.name, m.target), target: m.target, ...(m.adopt ? { adopt: true } : {}) }
          : { type: "bind", source: m.source, target: m.target, readOnly: m.readOnly ?? false },
      )
    : base.mounts;
  const rt = await runtimeFor(instance.serverId ?? null);
  // Every mount is checked on every change, stored ones too: what a path points to may have changed since it was stored.
  // Where the instance runs: this machine's WHARF_BIND_ROOT locally, the server's bind root on the server itself remotely.
  await resolveBindSources(rt, bindRequests(mounts));
  const adopted = mounts.flatMap((m, i) => (m.type === "volume" && m.adopt && !base.mounts.some((b) => b.type === "volume" && b.name === m.name && b.adopt) ? [{ m, i }] : []));
  for (const { i } of adopted) {
    if (opts.actor && (opts.actor.role !== "admin" || opts.actor.scope)) throw new AppError("FORBIDDEN", `mounts.${i}.adopt: only an admin may adopt a volume`, { field: `mounts.${i}.adopt` });
  }
  for (const [i, m] of mounts.entries()) if (m.type === "volume") await checkVolume({ rt, mount: m, field: `mounts.${i}.name`, instanceId: instance.id, create: false });
  await assertVolumesFree(instance.id, mounts);
  for (const { m } of adopted) {
    if (opts.actor && m.type === "volume") await recordEvent({ actor: opts.actor, action: "volume.adopt", target: m.name, result: "ok", message: `adopted by instance ${instance.name} at ${m.target}` });
  }
  const limits = { ...base.limits, ...input.limits };
  const r = { ...NO_RESERVATIONS, ...base.reservations, ...input.reservations };
  const reservations: TReservations = { memoryMb: r.memoryMb ?? null, cpus: r.cpus ?? null };
  await checkReservations({ limits, reservations, serverId: instance.serverId ?? null });
  return {
    mounts,
    limits,
    reservations,
    command: input.command !== undefined ? input.command : base.command,
    entrypoint: input.entrypoint !== undefined ? input.entrypoint : base.entrypoint,
    deployStrategy: input.deployStrategy ?? base.deployStrategy,
  };
}

/**
 * A reservation above its limit could never be honoured (Docker refuses a
 * memory reservation above the memory limit; a task reserving more CPU than it
 * may use is placed for nothing). A CPU reservation needs a Swarm cluster: a
 * plain engine has no such thing, and a setting that silently does nothing
 * would mislead.
 */
async function checkReservations(o: { limits: TLimits; reservations: TReservations; serverId: string | null }): Promise<void> {
  const problem = reservationProblem(o.limits, o.reservations);
  if (problem) throw new AppError("VALIDATION", `${problem.field}: ${problem.message}`, { field: problem.field });
  if (o.reservations.cpus === null) return;
  const kind = o.serverId ? (await db.server.findUnique({ where: { id: o.serverId }, select: { kind: true } }))?.kind : "engine";
  if (kind !== "swarm") {
    throw new AppError("VALIDATION", "reservations.cpus: a CPU reservation needs a Swarm cluster (a plain Docker engine has none); use limits.cpus to cap the CPU", { field: "reservations.cpus" });
  }
}

/** Pure: the first reservation above its limit, if any. */
export function reservationProblem(limits: TLimits, reservations: TReservations): { field: string; message: string } | null {
  if (reservations.memoryMb !== null && limits.memoryMb !== null && reservations.memoryMb > limits.memoryMb) {
    return { field: "reservations.memoryMb", message: `${reservations.memoryMb} MB is above the memory limit (${limits.memoryMb} MB); a reservation must not exceed its limit` };
  }
  if (reservations.cpus !== null && limits.cpus !== null && reservations.cpus > limits.cpus) {
    return { field: "reservations.cpus", message: `${reservations.cpus} CPUs is above the CPU limit (${limits.cpus}); a reservation must not exceed its limit` };
  }
  return null;
}

/** Two instances writing one volume is a data-corruption risk nobody asked for: a volume belongs to one instance at a time. */
async function assertVolumesFree(instanceId: string, mounts: TMount[]): Promise<void> {
  const names = mounts.flatMap((m, i) => (m.type === "volume" ? [{ name: m.name, i }] : []));
  if (!names.length) return;
  const others = await db.instance.findMany({ where: { id: { not: instanceId }, status: { not: "removed" } }, select: { name: true, mounts: true } });
  for (const o of others) {
    const used = new Set(json<TMount[]>(o.mounts, []).flatMap((m) => (m.type === "volume" ? [m.name] : [])));
    const clash = names.find((n) => used.has(n.name));
    if (clash) throw new AppError("CONFLICT", `mounts.${clash.i}.name: volume ${clash.name} is mounted by instance ${o.name}`, { field: `mounts.${clash.i}.name` });
  }
}
