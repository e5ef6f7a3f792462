import { containsText, db } from "../db";
import { serverDirectory } from "../servers/resolve-server";
import { getSettings } from "../settings/get-settings";
import { latestUsage, type TUsageSample } from "./get-usage";
import { presentInstance, type TInstanceView } from "./present-instance";
import { INSTANCE_STATES } from "../lifecycle/states";
import { enumParam, mapPage, paginate, param, parseListQuery, textParam, type TPage, type TSortSpec } from "../pagination";

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
  const servers = page.items.some((i) => i.serverId) ? await serverDirectory() : new Map<string, { name: string; status: string }>();
  return mapPage(page, (i) => ({ ...presentInstance(i, settings.baseDomain, byConsumer.get(i.id) ?? null, settings.dns.mode, i.serverId ? servers.get(i.serverId) : null), usage: usage.get(i.id) ?? null, domains: domains.get(i.id) ?? [] }));
}
