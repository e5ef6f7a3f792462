import { z } from "zod";

// A container's resource limits (issue 14): an instance's own and the
// defaults for new instances in the settings. Below the deployer and the
// settings, which both validate them.

/** Whole MB, up to 4 TiB (limits and reservations alike). */
export const ZMemoryMbSchema = z.number({ message: "must be a number" }).int("must be a whole number of MB").max(4_194_304);
/** CPUs with at most two decimals, up to 1024 (limits and reservations alike). */
export const ZCpusSchema = z
  .number({ message: "must be a number" })
  .positive("must be more than 0")
  .max(1024, "must be at most 1024")
  .refine((v) => Math.abs(Math.round(v * 100) - v * 100) < 1e-6, { message: "must have at most two decimals" });

// Docker refuses a memory limit under 6 MiB; NanoCPUs are bounded by the host's cores at create time.
export const ZLimitsSchema = z
  .object({
    memoryMb: ZMemoryMbSchema.min(6, "must be at least 6 (Docker's minimum)").nullable().optional(),
    cpus: ZCpusSchema.nullable().optional(),
    pidsLimit: z.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(4_194_304).nullable().optional(),
  })
  .strict();
export type TLimits = { memoryMb: number | null; cpus: number | null; pidsLimit: number | null };
