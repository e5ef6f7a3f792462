// The event names of SPEC §17, in one list shared by the API, the form and emitEvent.
export const EVENT_NAMES = [
  "deploy.failed",
  "deploy.rolled_back",
  "instance.exited",
  "instance.unhealthy",
  "instance.oom_killed",
  "instance.restart_loop",
  "update.available",
  "update.applied",
  "certificate.failed",
  "certificate.expiring",
  "sync.failed",
  "sync.drift",
  "dns.delete_unverified",
  "dns.mass_delete_blocked",
  "server.down",
  "server.up",
  "auth.lockout",
] as const;

export type TEventName = (typeof EVENT_NAMES)[number];

export const CHANNEL_TYPES = ["webhook", "email", "ntfy", "slack", "discord"] as const;
export type TChannelType = (typeof CHANNEL_TYPES)[number];

/** The write-only fields of a channel's config: stored encrypted, shown as `<field>Set`. */
export const CHANNEL_SECRET_FIELDS = ["secret", "password", "token", "url"] as const;

/**
 * Which secret each type stores, and the field holding the address it is bound
 * to. Slack and Discord carry their credential in the webhook URL itself, so
 * the URL is the secret (write-only) and its own address.
 */
export const CHANNEL_SECRETS: Record<TChannelType, { secrets: string[]; address: string[] }> = {
  webhook: { secrets: ["secret"], address: ["url"] },
  email: { secrets: ["password"], address: ["host", "port", "username"] },
  ntfy: { secrets: ["token"], address: ["serverUrl"] },
  slack: { secrets: ["url"], address: [] },
  discord: { secrets: ["url"], address: [] },
};
