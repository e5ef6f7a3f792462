import { containsText, db } from "../db";
import { instanceFqdn } from "../naming";
import { getSettings } from "../settings/get-settings";
import type { Instance } from "../generated/prisma/client";
import { presentTls, tlsOptions } from "../tls/consumer-tls";
import { specOf } from "./runtime-spec";
import { latestUsage, type TUsageSample } from "../usage/get-usage";
import { INSTANCE_STATES } from "../lifecycle/states";
import { enumParam, mapPage, paginate, param, parseListQuery, textParam, type TPage, type TSortSpec } from "../pagination";

/** The API shape of an instance (SPEC §10). */
export function presentInstance(i: Instance, baseDomain: string, dns: { status: string; lastError?: string | null } | null, dnsMode: string) {
  return {
    id: i.id,
    name: i.name,
    image: i.image,
    subdomain: i.subdomain,
    fqdn: instanceFqdn(i.subdomain, baseDomain),
    port: i.port,
    healthPath: i.healthPath,
    restartPolicy: i.restartPolicy,
    ...specOf(i),
    status: i.status,
    ...(i.error ? { error: i.error } : {}),
    route: { status: i.routeStatus, ...(i.routeError ? { error: i.routeError } : {}) },
    dns: dns ? { status: dns.status, ...(dns.lastError ? { error: dns.lastError } : {}) } : { status: dnsMode === "wildcard" ? "wildcard" : "none" },
    digest: i.digest,
    updateAvailable: i.updateAvailable,
    autoUpdate: i.autoUpdate,
    update: { latestDigest: i.latestDigest, checkedAt: i.updateCheckedAt, ...(i.updateCheckError ? { warning: i.updateCheckError } : {}) },
    tls: presentTls(i),
    tlsOptions: tlsOptions(i),
    /** The address to open: https:// once Wharf has seen the certificate. */
    url: `${i.certStatus === "issued" ? "https" : "http"}://${instanceFqdn(i.subdomain, baseDomain)}`,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
export type TInstanceView = ReturnType<typeof presentInstance>;
export type TListedDomain = { domain: string; state: string };

export const INSTANCE_SORTS = {
  name: { field: "name", type: "string" },
  image: { field: "image", type: "string" },
  status: { field: "status", type: "string" },
  createdAt: { field: "createdAt", type: "date" },
} satisfies Record<string, TSortSpec>;

/**
 * One page of instances (GET /api/instances, /instances). Query: `limit`,
 * `cursor`, `sort` (name|image|status|createdAt, default createdAt desc),
 * `dir`, `status`, `q` (text in name, image or subdomain). The ledger rows
 * are read for the page's instances only, in one indexed query.
 */
export async function listInstances(opts: { params?: URLSearchParams; defaultLimit?: number } = {}): Promise<TPage<TInstanceView & { usage: TUsageSample | null; domains: TListedDomain[] }>> {
  const params = opts.params ?? new URLSearchParams();
  const sort = param(params, "sort") ?? "createdAt";
  const query = parseListQuery(params, {
    sorts: Object.keys(INSTANCE_SORTS) as (keyof typeof INSTANCE_SORTS)[],
    defaultSort: "createdAt",
    defaultDir: sort === "createdAt" ? "desc" : "asc",
    defaultLimit: opts.defaultLimit,
  });
  const status = enumParam(params, "status", INSTANCE_STATES.filter((s) => s !== "removed"));
  const q = textParam(params);
  const where = {
    status: status ?? { not: "removed" },
    ...(q ? { OR: [{ name: containsText(q) }, { image: containsText(q) }, { subdomain: containsText(q) }] } : {}),
  };
  const [settings, page] = await Promise.all([
    getSettings(),
    paginate({ query, sorts: INSTANCE_SORTS, where, findMany: (a) => db.instance.findMany(a), count: (a) => db.instance.count(a) }),
  ]);
  const records = await db.dnsRecord.findMany({
    where: { consumerType: "instance", consumerId: { in: page.items.map((i) => i.id) } },
    select: { consumerId: true, status: true, lastError: true },
  });
  const byConsumer = new Map(records.map((r) => [r.consumerId, r]));
  // Custom domains (SPEC §14): name and state only, for the list's Address column.
  const domains = new Map<string, TListedDomain[]>();
  for (const d of await db.customDomain.findMany({ where: { instanceId: { in: page.items.map((i) => i.id) } }, select: { instanceId: true, domain: true, state: true }, orderBy: { domain: "asc" } })) {
    domains.set(d.instanceId, [...(domains.get(d.instanceId) ?? []), { domain: d.domain, state: d.state }]);
  }
  // Current values only for what runs now: a stopped instance's last sample is not "current".
  const usage = await latestUsage(page.items.filter((r) => r.status === "running").map((r) => r.id));
  return mapPage(page, (i) => ({ ...presentInstance(i, settings.baseDomain, byConsumer.get(i.id) ?? null, settings.dns.mode), usage: usage.get(i.id) ?? null, domains: domains.get(i.id) ?? [] }));
}
