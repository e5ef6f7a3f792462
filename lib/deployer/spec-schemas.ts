import path from "node:path";
import { z } from "zod";
import { ZCpusSchema, ZLimitsSchema, ZMemoryMbSchema, type TLimits } from "../container-limits";

// Issue 14 / SPEC §5 and §10: mounts, limits, command/entrypoint, deploy strategy.
// Pure: the bind-mount root and volume ownership are checked in resolve-spec.ts.

/** Docker's volume-name rule (daemon/names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`). */
export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function hasDotDot(p: string): boolean {
  return p.split("/").some((seg) => seg === "..");
}

/** An absolute, already-normal container or host path: no `..`, no `.`, no `//`, no trailing slash. */
const ZAbsolutePathSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(4096, "must be at most 4096 characters")
  .refine((v) => v.startsWith("/"), { message: "must be an absolute path (starting with /)" })
  .refine((v) => !hasDotDot(v), { message: "must not contain .." })
  .refine((v) => !/[\0:,]/.test(v), { message: "must not contain NUL, ':' or ','" })
  .refine((v) => v === "/" || path.posix.normalize(v) === v.replace(/\/$/, "") , { message: "must be a normal path (no //, /./ or trailing /)" });

const ZTargetSchema = ZAbsolutePathSchema.refine((v) => v !== "/", { message: "must not be / itself" });

export const ZVolumeNameSchema = z
  .string()
  .trim()
  .max(255, "must be at most 255 characters")
  .regex(VOLUME_NAME_RE, "must be a Docker volume name: at least 2 characters, letters, digits, _ . - and starting with a letter or digit");

/** `adopt`: mount an existing volume Wharf did not create (admin only, audited); never Wharf's own data volume. */
export const ZVolumeMountSchema = z.object({ type: z.literal("volume"), name: ZVolumeNameSchema.optional(), target: ZTargetSchema, adopt: z.boolean().optional() }).strict();
export const ZBindMountSchema = z
  .object({ type: z.literal("bind"), source: ZAbsolutePathSchema, target: ZTargetSchema, readOnly: z.boolean().optional() })
  .strict();
export const ZMountSchema = z.discriminatedUnion("type", [ZVolumeMountSchema, ZBindMountSchema]);
export type TMountInput = z.infer<typeof ZMountSchema>;

/** What an instance row stores: volume names are resolved, readOnly is explicit. */
export type TMount = { type: "volume"; name: string; target: string; adopt?: boolean } | { type: "bind"; source: string; target: string; readOnly: boolean };

export const ZMountsSchema = z
  .array(ZMountSchema)
  .max(32, "must have at most 32 mounts")
  .superRefine((list, ctx) => {
    const targets = new Set<string>();
    const names = new Set<string>();
    list.forEach((m, i) => {
      if (targets.has(m.target)) ctx.addIssue({ code: "custom", path: [i, "target"], message: `mounts ${m.target} twice` });
      targets.add(m.target);
      if (m.type === "volume" && m.name) {
        if (names.has(m.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `uses volume ${m.name} twice` });
        names.add(m.name);
      }
    });
  });

export const ZArgvSchema = z
  .array(z.string().max(4096, "must be at most 4096 characters").refine((v) => !v.includes("\0"), { message: "must not contain NUL" }))
  .min(1, "must have at least one element (or be null for the image's default)")
  .max(256, "must have at most 256 elements");

export const DEPLOY_STRATEGIES = ["blue-green", "stop-first"] as const;
export type TDeployStrategy = (typeof DEPLOY_STRATEGIES)[number];

/**
 * What the scheduler sets aside for the instance (issue 28): on a Swarm
 * cluster the service's Resources.Reservations (a task is placed only on a
 * node with that much unreserved); on a plain engine the memory reservation is
 * Docker's MemoryReservation (a soft limit the kernel reclaims towards under
 * memory pressure) and a CPU reservation is refused (the engine has none).
 * Each must not exceed its limit (checked in resolveSpec, where the limits are known).
 */
export const ZReservationsSchema = z
  .object({
    memoryMb: ZMemoryMbSchema.positive("must be more than 0").nullable().optional(),
    cpus: ZCpusSchema.nullable().optional(),
  })
  .strict();
export type TReservations = { memoryMb: number | null; cpus: number | null };

/** The fields POST /api/instances and POST …/redeploy share; a field sent replaces the stored one, null clears it. */
export const specFields = {
  mounts: ZMountsSchema.optional(),
  limits: ZLimitsSchema.optional(),
  reservations: ZReservationsSchema.optional(),
  command: ZArgvSchema.nullable().optional(),
  entrypoint: ZArgvSchema.nullable().optional(),
  deployStrategy: z.enum(DEPLOY_STRATEGIES).optional(),
};

/** The runtime spec of one container generation, as stored on the instance (and in previousSpec for the rollback target). */
export interface TRuntimeSpec {
  mounts: TMount[];
  limits: TLimits;
  /** Absent in specs stored before issue 28's reservations (read as none). */
  reservations: TReservations;
  command: string[] | null;
  entrypoint: string[] | null;
  deployStrategy: TDeployStrategy;
}
