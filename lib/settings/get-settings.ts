import { db } from "../db";
import { logger } from "../logger";
import { decryptSecret, encryptSecret, isEncrypted } from "./crypto";
import { defaultAcme, defaultSettings } from "./defaults";
import { SECRET_FIELDS, type TSettings } from "./schemas";

export const SETTINGS_KEY = "settings";

type Obj = Record<string, unknown>;

function mapSecrets(provider: Obj | null, fn: (v: string) => string): Obj | null {
  if (!provider) return null;
  const out: Obj = { ...provider };
  for (const f of SECRET_FIELDS) if (typeof out[f] === "string") out[f] = fn(out[f] as string);
  return out;
}

/**
 * Stored JSON form: the same shape with secret fields as encrypted envelopes.
 * Every secret is encrypted, whatever it looks like: settings in memory are
 * always plain, and a secret that happens to start with `enc:v1:` must come
 * back as typed, not be taken for ciphertext (issue 21).
 */
export function sealSettings(s: TSettings): string {
  const seal = (v: string) => encryptSecret(v);
  return JSON.stringify({
    ...s,
    dns: { ...s.dns, provider: mapSecrets(s.dns.provider as Obj | null, seal) },
    proxy: { ...s.proxy, provider: mapSecrets(s.proxy.provider as Obj | null, seal) },
    registries: s.registries.map((r) => mapSecrets(r as unknown as Obj, seal)),
  });
}

/** A stored envelope; one that does not decrypt (written in clear by an old version) is kept as it is rather than failing every read. */
function openSecret(v: string): string {
  try {
    return decryptSecret(v);
  } catch {
    logger.warn({ op: "settings.read" }, "a stored secret is not a valid envelope: used as stored");
    return v;
  }
}

function unseal(raw: string): TSettings {
  const stored = JSON.parse(raw) as Partial<TSettings>;
  const d = defaultSettings();
  const open = (v: string) => (isEncrypted(v) ? openSecret(v) : v);
  return {
    baseDomain: stored.baseDomain ?? d.baseDomain,
    targetAddress: stored.targetAddress ?? d.targetAddress,
    dns: { ...d.dns, ...stored.dns, provider: mapSecrets((stored.dns?.provider ?? null) as Obj | null, open) as TSettings["dns"]["provider"] },
    proxy: {
      ...d.proxy,
      ...stored.proxy,
      provider: mapSecrets((stored.proxy?.provider ?? null) as Obj | null, open) as TSettings["proxy"]["provider"],
    },
    docker: { ...d.docker, ...stored.docker },
    sync: { ...d.sync, ...stored.sync },
    retention: { ...d.retention, ...stored.retention },
    registries: (stored.registries ?? []).map((r) => mapSecrets(r as unknown as Obj, open) as unknown as TSettings["registries"][number]),
    updates: { ...d.updates, ...stored.updates },
    domains: { ...d.domains, ...stored.domains },
    // Stored before TLS existed: an upgraded installation stays on plain HTTP until the operator chooses.
    tls: stored.tls ? { mode: stored.tls.mode, acme: { ...defaultAcme(), ...stored.tls.acme } } : { mode: "off", acme: defaultAcme() },
    limits: { ...d.limits, ...stored.limits },
  };
}

/** The current settings with secrets decrypted: server-side use only, never serialise to a client. */
export async function getSettings(): Promise<TSettings> {
  const row = await db.setting.findUnique({ where: { key: SETTINGS_KEY } });
  return row ? unseal(row.value) : defaultSettings();
}
