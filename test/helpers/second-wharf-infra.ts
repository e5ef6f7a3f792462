// A second Wharf installation as its own process (run with `node --import tsx`),
// on the same Docker engine and Caddy as the first (issue 22): its own data
// directory (WHARF_DATA_DIR) and installation id (WHARF_INSTALLATION_ID).
// mode "deploy": deploys one instance, lists its orphans, tries to remove the
// first installation's container and route, and runs an infrastructure sync;
// mode "remove": removes its instance. Each result is one JSON line on stdout.
import path from "node:path";

const input = JSON.parse(process.env.SECOND_WHARF ?? "{}") as {
  mode: "deploy" | "remove";
  baseDomain: string;
  network: string;
  caddy: { adminUrl: string; server: string };
  name: string;
  foreign: { containerId: string; routeId: string };
};
const { env } = await import("../../lib/env");
const { migrateDatabase } = await import("../../lib/db/migrate");
migrateDatabase({ databaseUrl: env().databaseUrl, migrationsDir: path.resolve("prisma/migrations") });
const { db } = await import("../../lib/db");
const { SYSTEM_ACTOR } = await import("../../lib/audit/record-event");
const { updateSettings } = await import("../../lib/configuration/update-settings");
const { errorMessage, isAppError } = await import("../../lib/errors");
const out = (line: object) => console.log(JSON.stringify(line));
const attempt = async (what: string, fn: () => Promise<unknown>) => {
  try {
    await fn();
    out({ what, ok: true });
  } catch (err) {
    out({ what, ok: false, code: isAppError(err) ? err.code : null, error: errorMessage(err) });
  }
};

await updateSettings({
  actor: SYSTEM_ACTOR,
  body: {
    baseDomain: input.baseDomain,
    docker: { network: input.network },
    proxy: { provider: { type: "caddy", adminUrl: input.caddy.adminUrl, server: input.caddy.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
  },
});
if (input.mode === "deploy") {
  const { createInstance } = await import("../../lib/deployer/create-instance");
  const { waitForJob } = await import("../../lib/deployer/jobs");
  const { getInstance } = await import("../../lib/instances/get-instance");
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: input.name, image: "wharf-test/web:v1", port: 8080 } });
  await waitForJob(created.id);
  const inst = await getInstance(created.id);
  out({ deployed: inst.id, status: inst.status, containerId: inst.containerId, route: inst.route.status });
  const { listOrphans } = await import("../../lib/reconcile/find-orphans");
  const orphans = await listOrphans();
  out({ orphans: { containers: orphans.containers.map((c) => c.id), routes: orphans.routes.map((r) => r.id), errors: orphans.errors } });
  const { removeOrphanContainer, removeOrphanRoute } = await import("../../lib/reconcile/remove-orphan");
  await attempt("remove-container", () => removeOrphanContainer({ actor: SYSTEM_ACTOR, id: input.foreign.containerId }));
  await attempt("remove-route", () => removeOrphanRoute({ actor: SYSTEM_ACTOR, id: input.foreign.routeId }));
  const { runSync } = await import("../../lib/reconcile/run-sync");
  const report = await runSync({ trigger: "cli", scope: "all" });
  out({ sync: { containers: report.orphans.containers.map((c) => c.id), routes: report.orphans.routes.map((r) => r.id) } });
} else {
  const { removeInstance } = await import("../../lib/deployer/remove-instance");
  for (const i of await db.instance.findMany()) await attempt(`remove-instance ${i.id}`, () => removeInstance({ actor: SYSTEM_ACTOR, id: i.id }));
}
await db.$disconnect();
process.exit(0);
