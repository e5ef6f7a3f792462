import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { createInstance } from "../deployer/create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { LABEL_INSTALLATION, routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import { installationId } from "../secrets";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { CADDY, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { listOrphans } from "./find-orphans";
import { removeOrphanContainer, removeOrphanRoute } from "./remove-orphan";
import { runSync } from "./run-sync";

// Issue 22: two Wharf installations (staging beside production) on one Docker
// engine and one Caddy. This process is the first; the second runs as its own
// process (test/helpers/second-wharf-infra.ts) with its own data directory
// and installation id.
const rand = randomBytes(3).toString("hex");
const base = `two-${rand}.wharf.test`;
const other = `staging-${rand}`;
const dataDir = mkdtempSync(path.join(tmpdir(), "wharf-second-"));

function secondWharf(input: object): Promise<Record<string, unknown>[]> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/second-wharf-infra.ts"], {
    env: { ...process.env, WHARF_DATA_DIR: dataDir, WHARF_INSTALLATION_ID: other, SECOND_WHARF: JSON.stringify({ baseDomain: base, network: TEST_NETWORK, caddy: { adminUrl: CADDY.admin, server: CADDY.server }, ...input }), LOG_LEVEL: "silent", DATABASE_URL: "", WHARF_SCHEDULER: "off" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve(out.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))) : reject(new Error(`second Wharf exited ${code}: ${err}`)))),
  );
}

beforeAll(async () => {
  process.env.WHARF_DRAIN_MS = "500";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: base, docker: { network: TEST_NETWORK }, proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
});

afterAll(async () => {
  await secondWharf({ mode: "remove", name: `b-${rand}`, foreign: {} }).catch(() => undefined);
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
});

describe("two Wharf installations on one engine and one Caddy", () => {
  it("neither lists nor can remove the other's containers or routes", async () => {
    expect(installationId()).not.toBe(other);
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `a-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
    await waitForJob(created.id);
    const a = await getInstance(created.id);
    expect(a.status).toBe("running");
    const aContainer = (await getRuntime().inspectContainer(a.containerId!))!;
    expect(aContainer.labels[LABEL_INSTALLATION]).toBe(installationId());
    const aRoute = routeId("instance", a.id);

    const lines = await secondWharf({ mode: "deploy", name: `b-${rand}`, foreign: { containerId: a.containerId, routeId: aRoute } });
    const deployed = lines.find((l) => "deployed" in l)!;
    expect(deployed).toMatchObject({ status: "running", route: "active" });
    const bContainerId = String(deployed.containerId);
    const bRoute = routeId("instance", String(deployed.deployed));
    // The second installation sees neither of the first's as orphans, and is refused removing them.
    const bOrphans = lines.find((l) => "orphans" in l)!.orphans as { containers: string[]; routes: string[] };
    expect(bOrphans.containers).not.toContain(a.containerId);
    expect(bOrphans.routes).not.toContain(aRoute);
    expect(lines.find((l) => l.what === "remove-container")).toMatchObject({ ok: false, code: "FOREIGN_RESOURCE", error: expect.stringContaining(`installation ${installationId()}`) });
    expect(lines.find((l) => l.what === "remove-route")).toMatchObject({ ok: false, code: "FOREIGN_RESOURCE", error: expect.stringContaining(`installation ${installationId()}`) });
    const bSync = lines.find((l) => "sync" in l)!.sync as { containers: string[]; routes: string[] };
    expect(bSync.containers).not.toContain(a.containerId);
    expect(bSync.routes).not.toContain(aRoute);
    // The first's container and route are untouched and still serve.
    expect((await getRuntime().inspectContainer(a.containerId!))?.state).toBe("running");
    expect((await httpGet({ port: CADDY.httpPort, host: `a-${rand}.${base}` })).body).toContain("wharf-test v1");

    // And the other way round: the second's container and route are foreign here.
    const bContainer = (await getRuntime().inspectContainer(bContainerId))!;
    expect(bContainer.labels[LABEL_INSTALLATION]).toBe(other);
    const routes = await getProxyProvider(await getSettings())!.listRoutes();
    expect(routes.find((r) => r.id === bRoute)).toMatchObject({ installation: other });
    expect(routes.find((r) => r.id === aRoute)).toMatchObject({ installation: installationId() });
    const orphans = await listOrphans();
    expect(orphans.containers.map((c) => c.id)).not.toContain(bContainerId);
    expect(orphans.routes.map((r) => r.id)).not.toContain(bRoute);
    const report = await runSync({ trigger: "cli" });
    expect(report.orphans.containers.map((c) => c.id)).not.toContain(bContainerId);
    expect(report.orphans.routes.map((r) => r.id)).not.toContain(bRoute);
    // What DELETE /api/orphans calls: refused (409 FOREIGN_RESOURCE), nothing removed.
    await expect(removeOrphanContainer({ actor: SYSTEM_ACTOR, id: bContainerId })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    await expect(removeOrphanRoute({ actor: SYSTEM_ACTOR, id: bRoute })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    // Never repaired either: a write to the second's route id is refused, its route stays as it was.
    const provider = getProxyProvider(await getSettings())!;
    await expect(provider.ensureRoute({ id: bRoute, consumer: { type: "instance", id: String(deployed.deployed) }, hosts: [`b-${rand}.${base}`], upstream: { scheme: "http", host: "127.0.0.1", port: 9 } })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect((await provider.listRoutes()).find((r) => r.id === bRoute)).toEqual(routes.find((r) => r.id === bRoute));
    expect((await getRuntime().inspectContainer(bContainerId))?.state).toBe("running");
    expect((await httpGet({ port: CADDY.httpPort, host: `b-${rand}.${base}` })).body).toContain("wharf-test v1");
  });
});
