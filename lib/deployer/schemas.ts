import { z } from "zod";
import { ZConsumerTlsSchema, ZLabelSchema } from "../consumers/schemas";
import { specFields } from "./spec-schemas";

// Docker image reference (distribution/reference grammar): an optional
// registry host[:port], lower-case path components, then :tag and/or @digest.
const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const registry = "(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?/)";
const IMAGE_RE = new RegExp(`^${registry}?${component}(?:/${component})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

export const ZImageSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(255, "must be at most 255 characters")
  .refine((v) => IMAGE_RE.test(v), { message: "must be an image reference such as nginx:1.27 or ghcr.io/org/app@sha256:…" });

export const ZPortSchema = z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535");

const ZEnvKeySchema = z.string().trim().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a variable name (letters, digits, underscore; not starting with a digit)").max(255);

export const ZEnvEntrySchema = z.object({ key: ZEnvKeySchema, value: z.string().max(32_768), secret: z.boolean().default(false) }).strict();

/** Either [{key, value, secret?}] or a plain {KEY: "value"} map. */
export const ZEnvSchema = z
  .union([z.array(ZEnvEntrySchema).max(200), z.record(ZEnvKeySchema, z.string().max(32_768))])
  .transform((v) => (Array.isArray(v) ? v : Object.entries(v).map(([key, value]) => ({ key, value, secret: false }))))
  .refine((list) => new Set(list.map((e) => e.key)).size === list.length, { message: "has a variable twice" });
export type TEnvEntry = z.infer<typeof ZEnvEntrySchema>;

export const RESTART_POLICIES = ["no", "always", "unless-stopped", "on-failure"] as const;

/** On a Swarm cluster (issue 28): how many tasks, and placement constraints (`node.labels.zone==a`, `node.role!=manager`...). */
const clusterFields = {
  replicas: z.number().int().min(0, "must be at least 0").max(100, "must be at most 100").optional(),
  placement: z
    .array(z.string().trim().regex(/^(node|engine)\.[A-Za-z0-9_.-]+\s*(==|!=)\s*[A-Za-z0-9_.:/-]+$/, "must be a constraint like node.labels.zone==a"))
    .max(20)
    .optional(),
  /** false: the volumes are shared storage (a volume driver every node reaches), so the tasks are not pinned to one node. */
  pinVolumes: z.boolean().optional(),
};

export const ZCreateInstanceSchema = z
  .object({
    name: ZLabelSchema,
    image: ZImageSchema,
    port: ZPortSchema,
    subdomain: ZLabelSchema.optional(),
    env: ZEnvSchema.optional(),
    healthPath: z.string().trim().regex(/^\/[\x21-\x7e]*$/, "must be a path starting with /").max(512).optional().nullable(),
    restartPolicy: z.enum(RESTART_POLICIES).optional(),
    autoUpdate: z.boolean().optional(),
    tls: ZConsumerTlsSchema.optional(),
    /** The server to run on, by id or name (SPEC §16); the built-in "local" when omitted. */
    server: z.string().trim().min(1, "is required").max(100).optional(),
    ...clusterFields,
    ...specFields,
  })
  .strict();
export type TCreateInstance = z.infer<typeof ZCreateInstanceSchema>;

/** A redeploy may change the runtime spec too (the Edit form): a field sent replaces the stored one. */
export const ZRedeploySchema = z
  .object({
    image: ZImageSchema.optional(),
    autoUpdate: z.boolean().optional(),
    tls: ZConsumerTlsSchema.optional(),
    /** Move to another server (SPEC §16): start there, switch the route, stop and remove the old container. */
    server: z.string().trim().min(1, "is required").max(100).optional(),
    /** A move of an instance with volumes: the operator confirms that their data stays on the old server. */
    dataStaysBehind: z.boolean().optional(),
    ...clusterFields,
    /** Pin the volumes to this node (id or hostname) from now on; their data stays on the node they were pinned to. */
    pinNode: z.string().trim().min(1, "is required").max(100).optional(),
    ...specFields,
  })
  .strict();

/** POST /api/instances/{id}/rollback: a recorded deployment to go back to (default: the previous successful one). */
export const ZRollbackSchema = z.object({ deploymentId: z.string().trim().min(1, "must not be empty").max(64).optional() }).strict();
