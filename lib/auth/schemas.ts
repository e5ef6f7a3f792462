import { z } from "zod";

export const ZRoleSchema = z.enum(["admin", "viewer"]);
export const ZEmailSchema = z.string().trim().toLowerCase().email("must be an e-mail address").max(254);
export const ZPasswordSchema = z.string().min(8, "must be at least 8 characters").max(256, "must be at most 256 characters");

export const ZCreateUserSchema = z.object({
  email: ZEmailSchema,
  password: ZPasswordSchema,
  name: z.string().trim().max(100).optional(),
  role: ZRoleSchema.default("viewer"),
}).strict();
export type TCreateUser = z.infer<typeof ZCreateUserSchema>;

export const ZSetupSchema = z.object({ email: ZEmailSchema, password: ZPasswordSchema, name: z.string().trim().max(100).optional() });

export const ZCreateTokenSchema = z.object({
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
  // `metrics`: reads GET /metrics and nothing else (issue 29).
  role: z.enum(["admin", "viewer", "metrics"]).default("viewer"),
  /** Omitted: the token never expires. */
  expiresInDays: z.number("must be a number of days").int("must be a whole number of days").min(1, "must be at least 1").max(3650, "must be at most 3650").optional(),
}).strict();
export type TCreateToken = z.infer<typeof ZCreateTokenSchema>;

/** PATCH /api/users/{id}: a role change and/or a password (own password: currentPassword required). */
export const ZUpdateUserSchema = z.object({
  role: ZRoleSchema.optional(),
  password: ZPasswordSchema.optional(),
  currentPassword: z.string().max(256).optional(),
}).strict();
export type TUpdateUser = z.infer<typeof ZUpdateUserSchema>;
