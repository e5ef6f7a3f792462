import { Resolver } from "node:dns/promises";
import { db } from "../../lib/db";
import { getRuntime } from "../../lib/docker";
import { LABEL_INSTANCE, parseRouteId, routeId } from "../../lib/naming";
import { getProxyProvider } from "../../lib/proxy";
import { getSettings } from "../../lib/settings/get-settings";
import { upstreamFor } from "../../lib/deployer/container-plan";
import { sameUpstream } from "../../lib/deployer/route-target";
import { CADDY, httpGet } from "../helpers/http";
import { pdns, PDNS } from "./pdns";

// Every invariant of the chaos run, checked after the final quiet sync
// against the real engine, Caddy and PowerDNS. Only this run's resources
// (instance names starting with `tag`, names in `zone`) are looked at: the
// services are shared with other tests.

export type Violations = Record<string, string[]>;

const BODY: Record<string, string> = { "wharf-test/web:v1": "wharf-test v1", "wharf-test/web:v2": "wharf-test v2", "wharf-test/slow:v1": "wharf-test slow" };
const BUSY = ["deploying", "redeploying", "rolling_back", "stopping", "starting", "removing"];

export async function checkInvariants(o: { tag: string; zone: string; target: string; opsOutcomes: Record<string, number> }): Promise<Violations> {
  const v: Violations = { served: [], stopped: [], dns: [], ledger: [], orphans: [], transitional: [], operations: [] };
  const settings = await getSettings();
  const rt = getRuntime();
  const instances = await db.instance.findMany({ where: { name: { startsWith: o.tag } } });
  const proxies = await db.standaloneProxy.findMany({ where: { domain: { endsWith: `.${o.zone}` } } });
  const containers = (await rt.listManagedContainers()).filter((c) => c.name.startsWith(`wharf-${o.tag}-`));
  const routes = (await getProxyProvider(settings)!.listRoutes()).filter((r) => r.hosts.some((h) => h.endsWith(`.${o.zone}`)));
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([PDNS.dns]);

  for (const i of instances) {
    const fqdn = `${i.subdomain}.${o.zone}`;
    const mine = containers.filter((c) => c.labels[LABEL_INSTANCE] === i.id);
    const running = mine.filter((c) => c.state === "running");
    if (i.status === "running") {
      if (running.length !== 1 || running[0].id !== i.containerId) v.served.push(`${i.name}: running with ${running.length} running containers (${running.map((c) => c.name).join(", ")}), row says ${i.containerName}`);
      const route = routes.find((r) => r.id === routeId("instance", i.id));
      const serving = running.find((c) => c.id === i.containerId);
      if (!route || !serving || !sameUpstream(route.upstreams[0], upstreamFor(settings, serving, i.port))) v.served.push(`${i.name}: the route does not target its serving container`);
      const body = await httpGet({ port: CADDY.httpPort, host: fqdn }).then((r) => `${r.status} ${r.body}`, (e: Error) => e.message);
      if (!body.startsWith("200") || !body.includes(BODY[i.image] ?? "?")) v.served.push(`${i.name}: through Caddy "${body.slice(0, 60)}" instead of ${i.image}`);
    }
    if (i.status === "stopped" && running.length) v.stopped.push(`${i.name}: stopped, yet ${running.map((c) => c.name).join(", ")} running`);
    if (BUSY.includes(i.status)) v.transitional.push(`${i.name}: left ${i.status}`);
  }

  // DNS: every consumer's name resolves to the target; nothing else carries Wharf's marker in the zone.
  const expected = new Set([...instances.filter((i) => i.status === "running").map((i) => `${i.subdomain}.${o.zone}`), ...proxies.map((p) => p.domain)]);
  for (const fqdn of expected) {
    const got = await resolver.resolve4(fqdn).catch((e: NodeJS.ErrnoException) => [e.code ?? "error"]);
    if (got.length !== 1 || got[0] !== o.target) v.dns.push(`${fqdn} resolves to ${got.join(",")}`);
  }
  const zone = (await (await pdns("GET", `/zones/${o.zone}.`)).json()) as { rrsets: { name: string; type: string; records: { content: string }[]; comments: { content: string }[] }[] };
  const marked = zone.rrsets.filter((r) => r.comments.some((c) => c.content.startsWith("wharf:")));
  const markedNames = new Set(marked.map((r) => r.name.replace(/\.$/, "")));
  for (const name of markedNames) if (!expected.has(name)) v.dns.push(`${name} carries Wharf's marker but no consumer expects it`);
  for (const r of marked) if (r.records.length !== 1 || r.records[0].content !== o.target) v.dns.push(`${r.name} ${r.type} holds ${r.records.map((x) => x.content).join(",")}`);

  // The ledger equals the provider.
  const ledger = await db.dnsRecord.findMany({ where: { fqdn: { endsWith: `.${o.zone}` } } });
  for (const row of ledger) {
    if (!markedNames.has(row.fqdn)) v.ledger.push(`${row.fqdn}: in the ledger (${row.status}) but not at PowerDNS`);
    else if (row.status !== "synced") v.ledger.push(`${row.fqdn}: ${row.status} ${row.lastError ?? ""}`);
  }
  for (const name of markedNames) if (!ledger.some((r) => r.fqdn === name)) v.ledger.push(`${name}: at PowerDNS but not in the ledger`);

  // Orphans: containers of no instance, routes of no consumer.
  const ids = new Set(instances.map((i) => i.id));
  const proxyIds = new Set(proxies.map((p) => p.id));
  for (const c of containers) if (!ids.has(c.labels[LABEL_INSTANCE])) v.orphans.push(`container ${c.name} (${c.state}) of no instance`);
  for (const r of routes) {
    const owner = parseRouteId(r.id);
    if (!owner || !(owner.type === "instance" ? ids.has(owner.id) : proxyIds.has(owner.id))) v.orphans.push(`route ${r.id} (${r.hosts.join(",")}) of no consumer`);
  }
  for (const p of proxies) {
    const r = routes.find((x) => x.id === routeId("standalone", p.id));
    if (!r || r.hosts.join(",") !== p.domain) v.orphans.push(`proxy ${p.domain}: its route is ${r ? r.hosts.join(",") : "missing"}`);
  }

  // Nothing left half-way; every operation ended with a result or an error.
  const open = await db.deployment.findMany({ where: { status: "running", instance: { name: { startsWith: o.tag } } }, include: { instance: true } });
  for (const d of open) v.transitional.push(`deployment ${d.kind} of ${d.instance.name} still running`);
  if (await db.syncRun.count({ where: { status: "running" } })) v.transitional.push("a sync run is still running");
  const silent = await db.deployment.findMany({ where: { status: { in: ["failed", "cancelled"] }, error: null, instance: { name: { startsWith: o.tag } } } });
  for (const d of silent) v.operations.push(`deployment ${d.id} (${d.kind}) ${d.status} without an error`);
  for (const [k, n] of Object.entries(o.opsOutcomes)) if (/: error \(/.test(k) && /INTERNAL|Internal error|undefined/.test(k)) v.operations.push(`${k} ×${n}`);
  return v;
}
