import { installationId } from "../secrets";
import { SECRET_FIELDS, type TSettings } from "./schemas";

type Obj = Record<string, unknown>;

function redact(provider: Obj | null): Obj | null {
  if (!provider) return null;
  const out: Obj = {};
  for (const [k, v] of Object.entries(provider)) {
    if ((SECRET_FIELDS as readonly string[]).includes(k)) out[`${k}Set`] = typeof v === "string" && v.length > 0;
    else out[k] = v;
  }
  return out;
}

/** The settings as a browser or API client may see them: each secret replaced by `<field>Set`. */
export function toPublicSettings(s: TSettings) {
  return {
    baseDomain: s.baseDomain,
    targetAddress: s.targetAddress,
    dns: { ...s.dns, provider: redact(s.dns.provider as Obj | null) },
    proxy: { ...s.proxy, provider: redact(s.proxy.provider as Obj | null) },
    docker: { ...s.docker },
    sync: { ...s.sync },
    retention: { ...s.retention },
    /** Read-only: this installation's id, part of every DNS record marker. */
    installationId: installationId(),
    registries: s.registries.map((r) => redact(r as unknown as Obj) as { host: string; username: string; passwordSet: boolean; authHost?: string | null }),
    updates: { ...s.updates },
    domains: { ...s.domains },
    tls: { mode: s.tls.mode, acme: { ...s.tls.acme } },
    limits: { ...s.limits },
  };
}
export type TPublicSettings = ReturnType<typeof toPublicSettings>;
