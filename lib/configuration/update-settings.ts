import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseInput } from "../validation";
import { dnsTtlProblem } from "../dns/index";
import { ensureExpectedRecords } from "../reconcile/ensure-expected-records";
import { cleanupRequiredError, dnsTargetIsNew, planProviderSwitch } from "../dns/plan-provider-switch";
import { cleanupFailedError, removeRecordsAtOldProvider } from "../dns/switch-provider";
import { getSettings, sealSettings, SETTINGS_KEY } from "../settings/get-settings";
import { normaliseRegistryHost } from "../image-ref";
import { SECRET_FIELDS, ZSettingsUpdateSchema, type TSettings, type TSettingsUpdate } from "../settings/schemas";
import { ensureManagedProxy } from "../managed-proxy/ensure-managed-proxy";
import { removeManagedProxy } from "../managed-proxy/remove-managed-proxy";

type Obj = Record<string, unknown>;

/**
 * The field holding each provider's address. A stored secret is bound to the
 * address it was entered for (SPEC §3, §12): it is never carried over to
 * another one, or a changed URL (typed by an operator, or by whoever got
 * hold of an admin session) would receive the old credential.
 */
const ADDRESS_FIELD: Record<string, string> = { cloudflare: "baseUrl", powerdns: "apiUrl", adguard: "url", npm: "url", caddy: "adminUrl" };

/**
 * Merges a provider object: the object replaces the old one whole, except that
 * omitted secrets are kept when the provider type and its address are
 * unchanged. A new provider type or a new address must bring its secret.
 */
function mergeProvider(current: Obj | null, input: Obj | null | undefined, fieldPrefix: string, requiredSecret: Record<string, string>): Obj | null {
  if (input === undefined) return current;
  if (input === null) return null;
  const merged: Obj = { ...input };
  const addressField = ADDRESS_FIELD[input.type as string];
  const sameType = !!current && current.type === input.type;
  const sameAddress = sameType && (!addressField || (current[addressField] ?? null) === (input[addressField] ?? null));
  for (const f of SECRET_FIELDS) {
    if (merged[f] !== undefined || !sameType || typeof current[f] !== "string") continue;
    if (!sameAddress) {
      throw new AppError("VALIDATION", `${fieldPrefix}.${f}: enter it again: ${fieldPrefix}.${addressField} changed, and a stored secret is never sent to a new address`, { field: `${fieldPrefix}.${f}` });
    }
    merged[f] = current[f];
  }
  const secret = requiredSecret[input.type as string];
  if (secret && (typeof merged[secret] !== "string" || merged[secret] === "")) {
    throw new AppError("VALIDATION", `${fieldPrefix}.${secret}: is required for provider ${String(input.type)}`, { field: `${fieldPrefix}.${secret}` });
  }
  for (const [k, v] of Object.entries(merged)) if (v === undefined || v === null) delete merged[k];
  return merged;
}

/**
 * The registry list is replaced whole. A stored password stays bound to the
 * host (and user) it was entered for: an entry that omits its password keeps
 * the stored one only when both match, so a changed host needs the password again.
 */
function mergeRegistries(current: TSettings["registries"], input: { host: string; username: string; password?: string; authHost?: string | null }[] | undefined): TSettings["registries"] {
  if (input === undefined) return current;
  const hosts = new Set<string>();
  return input.map((r, i) => {
    const host = normaliseRegistryHost(r.host);
    if (hosts.has(host)) throw new AppError("VALIDATION", `registries.${i}.host: ${host} is listed twice`, { field: `registries.${i}.host` });
    hosts.add(host);
    const kept = current.find((c) => normaliseRegistryHost(c.host) === host && c.username === r.username)?.password;
    const password = r.password ?? kept;
    if (!password) throw new AppError("VALIDATION", `registries.${i}.password: is required for ${host}`, { field: `registries.${i}.password` });
    return { host, username: r.username, password, ...(r.authHost ? { authHost: r.authHost } : {}) };
  });
}

/** A form that edits only the network name (General settings) keeps the probe address the managed proxy set. */
function keepProbeAddress(current: TSettings["proxy"]["upstream"], input: TSettings["proxy"]["upstream"] | undefined): TSettings["proxy"]["upstream"] {
  if (!input) return current;
  if (input.mode === "network" && !input.probeAddress && current.mode === "network" && current.probeAddress) return { ...input, probeAddress: current.probeAddress };
  return input;
}

export function applySettingsUpdate(current: TSettings, body: unknown): TSettings {
  const input = parseInput(ZSettingsUpdateSchema, body);
  const next = mergeSettings(current, input);
  const managed = next.proxy.provider?.type === "managed";
  if (managed && current.proxy.provider?.type !== "managed" && !input.proxy?.upstream && next.proxy.upstream.mode === "host") {
    // Caddy in a container reaches instances by name on Wharf's network; their
    // ports stay published on loopback so that Wharf on the host can probe them.
    next.proxy.upstream = { mode: "network", network: next.docker.network, probeAddress: "127.0.0.1" };
  }
  refuseInconsistent(next);
  return next;
}

/** The update over the current settings, section by section; secrets kept where the input leaves them out. */
function mergeSettings(current: TSettings, input: TSettingsUpdate): TSettings {
  return {
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
      upstream: keepProbeAddress(current.proxy.upstream, input.proxy?.upstream),
    },
    docker: { network: input.docker?.network ?? current.docker.network },
    sync: { intervalMinutes: input.sync?.intervalMinutes ?? current.sync.intervalMinutes },
    retention: { ...current.retention, ...input.retention },
    registries: mergeRegistries(current.registries, input.registries),
    updates: { ...current.updates, ...input.updates },
    domains: { ...current.domains, ...input.domains },
    tls: {
      mode: input.tls?.mode ?? current.tls.mode,
      acme: {
        directoryUrl: input.tls?.acme?.directoryUrl ?? current.tls.acme.directoryUrl,
        email: input.tls?.acme?.email !== undefined ? input.tls.acme.email : current.tls.acme.email,
        trustedRootPem: input.tls?.acme?.trustedRootPem !== undefined ? input.tls.acme.trustedRootPem : current.tls.acme.trustedRootPem,
      },
    },
    limits: { ...current.limits, ...input.limits },
  };
}

/** Settings that parse but cannot work together: a 400 naming the field. */
function refuseInconsistent(next: TSettings): void {
  const managed = next.proxy.provider?.type === "managed";
  if (managed && next.proxy.upstream.mode === "host" && /^(127\.|::1$|localhost$)/.test(next.proxy.upstream.hostAddress)) {
    throw new AppError(
      "VALIDATION",
      `proxy.upstream: Wharf's Caddy runs in a container, where ${next.proxy.upstream.hostAddress} is the container itself; use upstream mode network (Wharf's Docker network) or a host address the container can reach`,
      { field: "proxy.upstream" },
    );
  }
  const ttlProblem = next.dns.provider ? dnsTtlProblem(next.dns.provider.type, next.dns.ttl) : null;
  if (ttlProblem) throw new AppError("VALIDATION", `dns.ttl: ${ttlProblem}`, { field: "dns.ttl" });
  if (next.dns.mode === "managed" && !next.dns.provider) {
    throw new AppError("VALIDATION", "dns.provider: managed DNS mode needs a DNS provider", { field: "dns.provider" });
  }
}

/** Which top-level sections a body touched, for the audit line (values never logged). */
function touched(body: unknown): string {
  return body && typeof body === "object" ? Object.keys(body).join(", ") : "";
}

/**
 * Saves a settings change. A DNS change that moves away from where Wharf
 * keeps records (SPEC §8: leaving managed mode, another provider or zone)
 * first needs `confirmDnsCleanup`: without it the change is refused with a
 * 409 listing the owned records; with it they are removed at the OLD
 * provider, and only when every removal worked are the settings saved.
 * Entering managed mode somewhere new then creates the existing consumers'
 * records.
 */
export async function updateSettings(opts: { actor: Actor; body: unknown; confirmDnsCleanup?: boolean; removeManagedProxy?: boolean }): Promise<TSettings> {
  try {
    const current = await getSettings();
    const next = applySettingsUpdate(current, opts.body);
    const plan = await planProviderSwitch({ current, next });
    if (plan.affected) {
      if (!opts.confirmDnsCleanup) throw cleanupRequiredError(plan);
      const report = await removeRecordsAtOldProvider({ actor: opts.actor, current, plan });
      if (report.failed.length) throw cleanupFailedError(report, plan.provider ?? "the DNS provider");
    }
    // Wharf's own Caddy runs (and answers) before the settings say so: a taken port is a 409 naming it, nothing saved.
    // Only when it changes: a save of other settings does not depend on the engine answering (the reconciler keeps it running).
    const managed = next.proxy.provider?.type === "managed" ? next.proxy.provider : null;
    const networkOf = (s: TSettings) => (s.proxy.upstream.mode === "network" ? s.proxy.upstream.network : s.docker.network);
    if (managed && JSON.stringify([managed, networkOf(next)]) !== JSON.stringify([current.proxy.provider, networkOf(current)])) {
      await ensureManagedProxy({ config: managed, network: networkOf(next) });
    }
    const value = sealSettings(next);
    await db.setting.upsert({ where: { key: SETTINGS_KEY }, create: { key: SETTINGS_KEY, value }, update: { value } });
    await recordEvent({ actor: opts.actor, action: "settings.update", target: touched(opts.body), result: "ok" });
    // Leaving the managed proxy (now or earlier, when it was kept): its container goes only when the operator confirms it.
    if (!managed && opts.removeManagedProxy) {
      const removed = await removeManagedProxy();
      if (removed.removed) await recordEvent({ actor: opts.actor, action: "proxy.managed.remove", target: removed.container, result: "ok", message: `container removed; volume ${removed.keptVolume} kept` });
    }
    if (dnsTargetIsNew(current, next)) await ensureExpectedRecords({ actor: opts.actor });
    return next;
  } catch (err) {
    await recordEvent({ actor: opts.actor, action: "settings.update", target: touched(opts.body), result: "error", message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}
