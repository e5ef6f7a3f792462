import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseInput } from "../validation";
import { getSettings, sealSettings, SETTINGS_KEY } from "./get-settings";
import { SECRET_FIELDS, ZSettingsUpdateSchema, type TSettings } from "./schemas";

type Obj = Record<string, unknown>;

/**
 * Merges a provider object: the object replaces the old one whole, except that
 * omitted secrets are kept when the provider type is unchanged. A new provider
 * type must bring its secret.
 */
function mergeProvider(current: Obj | null, input: Obj | null | undefined, fieldPrefix: string, requiredSecret: Record<string, string>): Obj | null {
  if (input === undefined) return current;
  if (input === null) return null;
  const merged: Obj = { ...input };
  for (const f of SECRET_FIELDS) {
    if (merged[f] === undefined && current && current.type === input.type && typeof current[f] === "string") merged[f] = current[f];
  }
  const secret = requiredSecret[input.type as string];
  if (secret && (typeof merged[secret] !== "string" || merged[secret] === "")) {
    throw new AppError("VALIDATION", `${fieldPrefix}.${secret}: is required for provider ${String(input.type)}`, { field: `${fieldPrefix}.${secret}` });
  }
  for (const [k, v] of Object.entries(merged)) if (v === undefined || v === null) delete merged[k];
  return merged;
}

export function applySettingsUpdate(current: TSettings, body: unknown): TSettings {
  const input = parseInput(ZSettingsUpdateSchema, body);
  const next: TSettings = {
    baseDomain: input.baseDomain ?? current.baseDomain,
    targetAddress: input.targetAddress ?? current.targetAddress,
    dns: {
      mode: input.dns?.mode ?? current.dns.mode,
      ttl: input.dns?.ttl ?? current.dns.ttl,
      proxied: input.dns?.proxied ?? current.dns.proxied,
      provider: mergeProvider(current.dns.provider as Obj | null, input.dns?.provider as Obj | null | undefined, "dns.provider", {
        cloudflare: "apiToken",
        powerdns: "apiKey",
        adguard: "password",
      }) as TSettings["dns"]["provider"],
    },
    proxy: {
      provider: mergeProvider(current.proxy.provider as Obj | null, input.proxy?.provider as Obj | null | undefined, "proxy.provider", {
        npm: "password",
      }) as TSettings["proxy"]["provider"],
      upstream: input.proxy?.upstream ?? current.proxy.upstream,
    },
    docker: { network: input.docker?.network ?? current.docker.network },
    sync: { intervalMinutes: input.sync?.intervalMinutes ?? current.sync.intervalMinutes },
  };
  if (next.dns.mode === "managed" && !next.dns.provider) {
    throw new AppError("VALIDATION", "dns.provider: managed DNS mode needs a DNS provider", { field: "dns.provider" });
  }
  return next;
}

/** Which top-level sections a body touched, for the audit line (values never logged). */
function touched(body: unknown): string {
  return body && typeof body === "object" ? Object.keys(body).join(", ") : "";
}

export async function updateSettings(opts: { actor: Actor; body: unknown }): Promise<TSettings> {
  try {
    const current = await getSettings();
    const next = applySettingsUpdate(current, opts.body);
    const value = sealSettings(next);
    await db.setting.upsert({ where: { key: SETTINGS_KEY }, create: { key: SETTINGS_KEY, value }, update: { value } });
    await recordEvent({ actor: opts.actor, action: "settings.update", target: touched(opts.body), result: "ok" });
    return next;
  } catch (err) {
    await recordEvent({ actor: opts.actor, action: "settings.update", target: touched(opts.body), result: "error", message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}
