import { db } from "../db";
import { AppError } from "../errors";
import { normalizeFqdn } from "../naming";
import type { TDnsProviderConfig, TSettings } from "../settings/schemas";

export interface TDnsCleanupRecord {
  id: string;
  fqdn: string;
  type: string;
  content: string;
  status: string;
}

/** What a settings change does to the records Wharf owns at its DNS provider (SPEC §8, last paragraph). */
export interface TDnsCleanupPlan {
  /** True when owned records exist where DNS is moving away from: they must be removed first. */
  affected: boolean;
  /** Why the records would be left behind, e.g. "leaving managed DNS mode"; null when DNS stays where it is. */
  reason: string | null;
  /** The provider (type and zone) the records are at now. */
  provider: string | null;
  zone: string | null;
  records: TDnsCleanupRecord[];
}

const url = (v: string | null | undefined) => (v ?? "").trim().replace(/\/+$/, "").toLowerCase();

/**
 * Where a provider configuration keeps records. Credentials are not part of
 * it: a new token for the same zone reaches the same records.
 */
export function providerLocation(p: TDnsProviderConfig): string {
  switch (p.type) {
    case "cloudflare":
      return `cloudflare|${url(p.baseUrl) || "default"}|${p.zoneId.trim()}`;
    case "powerdns":
      return `powerdns|${url(p.apiUrl).replace(/\/api(\/v1)?$/, "")}|${p.serverId || "localhost"}|${normalizeFqdn(p.zone)}`;
    case "adguard":
      return `adguard|${url(p.url).replace(/\/control$/, "")}`;
  }
}

function zoneOf(p: TDnsProviderConfig): string | null {
  if (p.type === "cloudflare") return p.zoneId || null;
  if (p.type === "powerdns") return normalizeFqdn(p.zone) || null;
  return null;
}

/**
 * Pure: why `next` moves DNS away from where `current` keeps its records, or
 * null when it does not. Only managed mode has records at a provider; a
 * change while in wildcard mode strands nothing.
 */
export function dnsMoveReason(current: Pick<TSettings, "dns">, next: Pick<TSettings, "dns">): string | null {
  const from = current.dns.provider;
  if (current.dns.mode !== "managed" || !from) return null;
  const to = next.dns.provider;
  if (next.dns.mode !== "managed" || !to) return "leaving managed DNS mode";
  if (from.type !== to.type) return `switching the DNS provider from ${from.type} to ${to.type}`;
  if (providerLocation(from) !== providerLocation(to)) return `moving ${from.type} to another ${from.type === "adguard" ? "server" : "zone or server"}`;
  return null;
}

/** Whether `next` starts managing DNS somewhere records do not exist yet (entering managed mode or a new provider). */
export function dnsTargetIsNew(current: Pick<TSettings, "dns">, next: Pick<TSettings, "dns">): boolean {
  if (next.dns.mode !== "managed" || !next.dns.provider) return false;
  if (current.dns.mode !== "managed" || !current.dns.provider) return true;
  return providerLocation(current.dns.provider) !== providerLocation(next.dns.provider);
}

/** The ledger rows a settings change would orphan at the old provider, read from the database. */
export async function planProviderSwitch(opts: { current: TSettings; next: TSettings }): Promise<TDnsCleanupPlan> {
  const reason = dnsMoveReason(opts.current, opts.next);
  const from = opts.current.dns.provider;
  if (!reason || !from) return { affected: false, reason: null, provider: from?.type ?? null, zone: null, records: [] };
  const rows = await db.dnsRecord.findMany({ where: { provider: from.type }, orderBy: { fqdn: "asc" } });
  const records = rows.map((r) => ({ id: r.id, fqdn: r.fqdn, type: r.type, content: r.content, status: r.status }));
  return { affected: records.length > 0, reason, provider: from.type, zone: rows.find((r) => r.zone)?.zone ?? zoneOf(from), records };
}

const LISTED = 20;

/** The refusal of an unconfirmed change that would orphan owned records: 409, listing them. */
export function cleanupRequiredError(plan: TDnsCleanupPlan): AppError {
  const names = plan.records.map((r) => r.fqdn);
  const shown = names.slice(0, LISTED).join(", ") + (names.length > LISTED ? ` and ${names.length - LISTED} more` : "");
  const n = names.length;
  return new AppError(
    "CONFLICT",
    `This DNS change means ${plan.reason}: Wharf would first remove the ${n} record${n === 1 ? "" : "s"} it created at ${plan.provider}${plan.zone ? ` (zone ${plan.zone})` : ""}: ${shown}. ` +
      "Confirm to remove them and save (API: repeat the request with ?confirmDnsCleanup=true).",
    {
      details: { dnsCleanup: { reason: plan.reason, provider: plan.provider, zone: plan.zone, count: n, records: plan.records } },
      publicDetails: { dnsCleanup: { reason: plan.reason, provider: plan.provider, zone: plan.zone, count: n, records: names } },
    },
  );
}

/** The plan carried by a cleanupRequiredError, or null for any other error. */
export function cleanupRequiredBy(err: unknown): Omit<TDnsCleanupPlan, "affected"> & { count: number } | null {
  if (!(err instanceof AppError) || err.code !== "CONFLICT") return null;
  const plan = err.details?.dnsCleanup as (Omit<TDnsCleanupPlan, "affected"> & { count: number }) | undefined;
  return plan ?? null;
}
