import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { containerLabels, routeId } from "../naming";
import { installationId } from "../secrets";
import { CADDY, eventually, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { runSync } from "./run-sync";
import { removeOrphanContainer, removeOrphanRoute } from "./remove-orphan";

// Real dockerd and Caddy: drift made by hand, repaired by a sync.
const rand = randomBytes(3).toString("hex");
const base = `rc-${rand}.wharf.test`;
const network = TEST_NETWORK;
const rt = getRuntime();
let id = "";
const serve = () => httpGet({ port: CADDY.httpPort, host: `web-${rand}.${base}` });

beforeAll(async () => {
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: base, docker: { network }, proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
  const inst = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `web-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
  await waitForJob(inst.id);
  id = inst.id;
  expect((await serve()).body).toContain("wharf-test v1");
});

afterAll(async () => {
  await removeInstance({ actor: SYSTEM_ACTOR, id }).catch(() => undefined);
});

it("a container stopped by hand is started again by the next sync", async () => {
  const { containerId } = await db.instance.findUniqueOrThrow({ where: { id } });
  await rt.stopContainer(containerId!, 1);
  expect((await rt.inspectContainer(containerId!))?.state).toBe("exited");
  const report = await runSync({ trigger: "manual" });
  expect(report.containers.restarted).toBe(1);
  expect((await rt.inspectContainer(containerId!))?.state).toBe("running");
  // The host port can change on restart: the route was re-pointed.
  expect((await serve()).body).toContain("wharf-test v1");
});

it("after a real Caddy restart (routes gone) the next sync restores them", async () => {
  // Only the plain-HTTP test Caddy (caddy.json); the TLS test Caddy (caddy-tls.json) keeps running.
  execFileSync("pkill", ["-f", "^caddy run --config \\S*/caddy\\.json$"]);
  await eventually(async () => !(await fetch(`${CADDY.admin}/config/`).then(() => true, () => false)), { what: "caddy to stop" });
  execFileSync("bash", ["test/services/start.sh"], { stdio: "ignore" });
  expect((await serve()).body).not.toContain("wharf-test v1");
  const dry = await runSync({ trigger: "manual", dryRun: true });
  expect(dry.lines.some((l) => l.kind === "route" && l.status === "planned")).toBe(true);
  expect((await serve()).body).not.toContain("wharf-test v1");
  const report = await runSync({ trigger: "manual" });
  expect(report.routes.repaired).toBeGreaterThanOrEqual(1);
  expect((await serve()).body).toContain("wharf-test v1");
});

it("labelled containers and wharf- routes without a row are listed as orphans and removed on request", async () => {
  await rt.ensureNetwork(network);
  const ghost = `ghost${rand}`;
  const orphan = await rt.createContainer({
    name: `wharf-orphan-${rand}`, image: "wharf-test/web:v1", env: {}, labels: containerLabels(ghost, "dep-ghost", installationId()), network, port: 8080, restartPolicy: "no",
  });
  const provider = getProxyProvider(await getSettings())!;
  await provider.ensureRoute({ id: routeId("standalone", ghost), consumer: { type: "standalone", id: ghost }, hosts: [`ghost-${rand}.${base}`], upstream: { scheme: "http", host: "127.0.0.1", port: 9 } });

  const report = await runSync({ trigger: "manual" });
  expect(report.orphans.containers.map((c) => c.id)).toContain(orphan.id);
  expect(report.orphans.routes.map((r) => r.id)).toContain(routeId("standalone", ghost));
  // Still there: a sync only reports orphans.
  expect(await rt.inspectContainer(orphan.id)).not.toBeNull();

  await expect(removeOrphanContainer({ actor: SYSTEM_ACTOR, id: (await db.instance.findUniqueOrThrow({ where: { id } })).containerId! })).rejects.toThrow(/existing instance/);
  await removeOrphanContainer({ actor: SYSTEM_ACTOR, id: orphan.id });
  await removeOrphanRoute({ actor: SYSTEM_ACTOR, id: routeId("standalone", ghost) });
  expect(await rt.inspectContainer(orphan.id)).toBeNull();
  expect((await provider.listRoutes()).map((r) => r.id)).not.toContain(routeId("standalone", ghost));
  // (Other test files' resources share this engine and Caddy: only ours are checked.)
  const after = await runSync({ trigger: "manual" });
  expect(after.orphans.containers.map((c) => c.id)).not.toContain(orphan.id);
  expect(after.orphans.routes.map((r) => r.id)).not.toContain(routeId("standalone", ghost));
});
