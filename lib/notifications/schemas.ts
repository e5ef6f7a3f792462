import { z } from "zod";
import { EVENT_NAMES, type TEventName } from "../outbox/events";

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((u) => {
    try {
      return ["http:", "https:"].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

const email = z.string().trim().max(254).regex(/^[^\s@<>]+@[^\s@<>]+$/, "must be an e-mail address");

export const ZWebhookConfigSchema = z.strictObject({ url: httpUrl, secret: z.string().min(8, "must be at least 8 characters").max(500).optional() });
export const ZEmailConfigSchema = z.strictObject({
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  // starttls: plain connection upgraded (and required to upgrade); tls: TLS from the first byte; none: loopback relays only.
  security: z.enum(["starttls", "tls", "none"]),
  username: z.string().max(254).optional(),
  password: z.string().max(500).optional(),
  from: email,
  to: z.array(email).min(1, "needs at least one recipient").max(20),
  // An extra root to trust for the server's certificate (a private relay); the system roots are always trusted.
  trustedRootPem: z.string().max(20_000).regex(/-----BEGIN CERTIFICATE-----/, "must be a PEM certificate").optional(),
});
export const ZNtfyConfigSchema = z.strictObject({
  serverUrl: httpUrl,
  topic: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _ (at most 64)"),
  token: z.string().max(500).optional(),
  priority: z.number().int().min(1).max(5).default(3),
});
export const ZChatConfigSchema = z.strictObject({ url: httpUrl.optional() });

// A plain union would report a bad event name as "events: Invalid input"; the refinement names the entry.
export const ZEventsSchema = z
  .union([z.literal("all"), z.array(z.string()).max(EVENT_NAMES.length)], { error: 'must be "all" or a list of event names' })
  .superRefine((v, ctx) => {
    if (Array.isArray(v)) v.forEach((e, i) => !(EVENT_NAMES as readonly string[]).includes(e) && ctx.addIssue({ code: "custom", path: [i], message: `unknown event ${e}` }));
  }) as z.ZodType<"all" | TEventName[]>;

const base = { name: z.string().trim().min(1, "is required").max(100), events: ZEventsSchema.default("all"), enabled: z.boolean().default(true) };

export const ZChannelCreateSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...base, type: z.literal("webhook"), config: ZWebhookConfigSchema }),
  z.strictObject({ ...base, type: z.literal("email"), config: ZEmailConfigSchema }),
  z.strictObject({ ...base, type: z.literal("ntfy"), config: ZNtfyConfigSchema }),
  z.strictObject({ ...base, type: z.literal("slack"), config: ZChatConfigSchema }),
  z.strictObject({ ...base, type: z.literal("discord"), config: ZChatConfigSchema }),
]);
export type TChannelCreate = z.infer<typeof ZChannelCreateSchema>;

/** PATCH: any of name, events, enabled, config (a config replaces the old one whole, keeping omitted secrets while the address is unchanged). */
export const ZChannelUpdateSchema = z.strictObject({
  name: base.name.optional(),
  events: ZEventsSchema.optional(),
  enabled: z.boolean().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});
export type TChannelUpdate = z.infer<typeof ZChannelUpdateSchema>;

export const CONFIG_SCHEMAS = {
  webhook: ZWebhookConfigSchema,
  email: ZEmailConfigSchema,
  ntfy: ZNtfyConfigSchema,
  slack: ZChatConfigSchema,
  discord: ZChatConfigSchema,
} as const;

export const ZPublicUrlSchema = z.strictObject({ publicUrl: httpUrl.nullable() });
