import { AppError } from "../errors";
import { decryptSecret, encryptSecret, isEncrypted } from "../settings/crypto";
import { parseInput } from "../validation";
import type { NotificationChannel } from "../generated/prisma/client";
import { CHANNEL_SECRETS, type TChannelType } from "../outbox/events";
import { CONFIG_SCHEMAS } from "./schemas";

type Obj = Record<string, unknown>;

/** A channel with its config decrypted, for the senders only (never returned to a client). */
export interface TOpenChannel {
  id: string;
  name: string;
  type: TChannelType;
  config: Obj;
  events: "all" | string[];
  enabled: boolean;
}

export function openChannel(row: NotificationChannel): TOpenChannel {
  const type = row.type as TChannelType;
  const config = JSON.parse(row.config) as Obj;
  for (const f of CHANNEL_SECRETS[type].secrets) if (typeof config[f] === "string" && isEncrypted(config[f])) config[f] = decryptSecret(config[f]);
  return { id: row.id, name: row.name, type, config, events: JSON.parse(row.events) as "all" | string[], enabled: row.enabled };
}

export function sealConfig(type: TChannelType, config: Obj): string {
  const out: Obj = { ...config };
  for (const f of CHANNEL_SECRETS[type].secrets) if (typeof out[f] === "string") out[f] = encryptSecret(out[f]);
  return JSON.stringify(out);
}

/** The config as a client may see it: each secret replaced by `<field>Set`. */
export function publicConfig(type: TChannelType, stored: string): Obj {
  const config = JSON.parse(stored) as Obj;
  const out: Obj = {};
  for (const [k, v] of Object.entries(config)) {
    if (CHANNEL_SECRETS[type].secrets.includes(k)) out[`${k}Set`] = typeof v === "string" && v.length > 0;
    else out[k] = v;
  }
  for (const f of CHANNEL_SECRETS[type].secrets) if (!(`${f}Set` in out)) out[`${f}Set`] = false;
  return out;
}

/**
 * Validates a config and merges it with the stored one: omitted secrets are
 * kept only while every address field is unchanged (SPEC §3, §12: a stored
 * secret is never sent to a new address). Required secrets must end up set.
 */
export function mergeConfig(type: TChannelType, input: unknown, current: Obj | null): Obj {
  const parsed = parseInput(CONFIG_SCHEMAS[type], input ?? {}) as Obj;
  for (const [k, v] of Object.entries(parsed)) if (v === undefined) delete parsed[k];
  const { secrets, address } = CHANNEL_SECRETS[type];
  const sameAddress = !!current && address.every((f) => (current[f] ?? null) === (parsed[f] ?? null));
  for (const f of secrets) {
    if (parsed[f] !== undefined || !current || typeof current[f] !== "string") continue;
    if (!sameAddress) {
      throw new AppError("VALIDATION", `config.${f}: enter it again: config.${address.join("/")} changed, and a stored secret is never sent to a new address`, { field: `config.${f}` });
    }
    parsed[f] = current[f];
  }
  const required = type === "webhook" ? "secret" : type === "slack" || type === "discord" ? "url" : null;
  if (required && (typeof parsed[required] !== "string" || parsed[required] === "")) {
    throw new AppError("VALIDATION", `config.${required}: is required for a ${type} channel`, { field: `config.${required}` });
  }
  if (type === "email" && parsed.username && !parsed.password) {
    throw new AppError("VALIDATION", "config.password: is required with a username", { field: "config.password" });
  }
  return parsed;
}
