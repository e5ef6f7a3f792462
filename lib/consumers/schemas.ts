import { z } from "zod";

// RFC 1123 label: lower-case letters, digits and hyphens, 1–63 characters,
// no leading or trailing hyphen. Upper case is refused, not folded, so that
// what the operator typed is what the container and the record are called.
export const ZLabelSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(63, "must be at most 63 characters (an RFC 1123 label)")
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "must be lower-case letters, digits and hyphens, starting and ending with a letter or digit (RFC 1123)");

export { ZDomainSchema } from "../settings/schemas";

/** Per-consumer TLS options (SPEC §5/§10): HTTPS on, redirect on (applied once issued), HSTS opt-in. */
export const ZConsumerTlsSchema = z.object({ https: z.boolean(), redirect: z.boolean(), hsts: z.boolean() }).partial().strict();
export type TConsumerTls = z.infer<typeof ZConsumerTlsSchema>;
