// A second Wharf installation as its own process (run with `node --import tsx`):
// its own data directory (WHARF_DATA_DIR) and installation id
// (WHARF_INSTALLATION_ID), on the DNS provider given in SECOND_WHARF. It
// manages standalone proxies for the given domains, syncs, then removes them
// and syncs again, printing each sync report as one JSON line on stdout.
import path from "node:path";

const input = JSON.parse(process.env.SECOND_WHARF ?? "{}") as { baseDomain: string; targetAddress: string; provider: Record<string, unknown>; domains: string[] };
const { env } = await import("../../lib/env");
const { migrateDatabase } = await import("../../lib/db/migrate");
migrateDatabase({ databaseUrl: env().databaseUrl, migrationsDir: path.resolve("prisma/migrations") });
const { db } = await import("../../lib/db");
const { SYSTEM_ACTOR } = await import("../../lib/audit/record-event");
const { updateSettings } = await import("../../lib/configuration/update-settings");
const { ensureConsumerDns, removeConsumerDns } = await import("../../lib/dns/hooks");
const { runSync } = await import("../../lib/reconcile/run-sync");

await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: input.baseDomain, targetAddress: input.targetAddress, dns: { mode: "managed", provider: input.provider } } });
const proxies = [];
for (const domain of input.domains) {
  const proxy = await db.standaloneProxy.create({ data: { domain, upstream: "http://127.0.0.1:9" } });
  proxies.push(proxy);
  const hook = await ensureConsumerDns({ consumer: { type: "standalone", id: proxy.id }, fqdn: domain });
  console.log(JSON.stringify({ hook: domain, ...hook }));
}
console.log(JSON.stringify({ sync: "after-create", ...(await runSync({ trigger: "cli", scope: "dns" })) }));
for (const proxy of proxies) {
  await removeConsumerDns({ consumer: { type: "standalone", id: proxy.id } });
  await db.standaloneProxy.delete({ where: { id: proxy.id } });
}
console.log(JSON.stringify({ sync: "after-remove", ...(await runSync({ trigger: "cli", scope: "dns" })) }));
await db.$disconnect();
