import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "../db";
import { leaseName } from "../consumers/consumer-lease";
import { getRuntime } from "../docker";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getProxyProvider } from "../proxy";
import { routeId } from "../naming";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { CADDY, eventually, TEST_NETWORK } from "../../test/helpers/http";
import { recoverInstances } from "./recover-instances";
import { startRecoveryLoop, stopRecoveryLoop } from "./on-start";
import { removeInstance } from "./remove-instance";

const rand = randomBytes(3).toString("hex");

beforeAll(async () => {
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: `rec-${rand}.wharf.test`, docker: { network: TEST_NETWORK }, proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server } } },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
});

/** Runs a deploy in a child process sharing this test's database and kills it (SIGKILL) once the container exists. */
function deployAndKill(name: string, image: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/deploy-child.ts", name, image], {
      // 10 s: long enough that the dead child's last renewal is surely unexpired when the first sweep runs,
      // even when the machine is loaded and its heartbeats run late (3 s was not, under CI's load).
      env: { ...process.env, WHARF_SCHEDULER: "off", LOG_LEVEL: "silent", WHARF_CONSUMER_LEASE_MS: "10000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`child never created a container: ${err}`))), 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /CREATED (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        child.on("exit", () => resolve(m[1]));
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  });
}

it("a server killed in the middle of a deploy leaves no half-made instance after the next start", async () => {
  const id = await deployAndKill(`crashy-${rand}`, "wharf-test/slow:v1");
  const half = await db.instance.findUniqueOrThrow({ where: { id } });
  expect(half.status).toBe("deploying");
  expect(await getRuntime().listManagedContainers({ instanceId: id })).not.toHaveLength(0);

  // The dead job's lease has not expired yet: no process may take it over (it could be alive elsewhere).
  expect(await recoverInstances()).toBe(0);
  expect((await db.instance.findUniqueOrThrow({ where: { id } })).status).toBe("deploying");
  // Once the lease the child last renewed has expired (by its row), the next sweep takes the job over.
  const lease = await db.lease.findUniqueOrThrow({ where: { name: leaseName({ type: "instance", id }) } });
  await new Promise((r) => setTimeout(r, Math.max(0, lease.expiresAt.getTime() - Date.now()) + 200));
  expect(await recoverInstances()).toBe(1);

  const inst = await db.instance.findUniqueOrThrow({ where: { id } });
  expect(inst.status).toBe("failed");
  expect(inst.error).toMatch(/interrupted/);
  expect(await getRuntime().listManagedContainers({ instanceId: id })).toHaveLength(0);
  const routes = await getProxyProvider(await getSettings())!.listRoutes();
  expect(routes.map((r) => r.id)).not.toContain(routeId("instance", id));
  const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id } });
  expect(dep.status).toBe("failed");
  // A second sweep finds nothing left to do.
  expect(await recoverInstances()).toBe(0);
});

it("another process's recovery sweep takes a dead process's deploy over on its own once the lease expired (jobs survive their replica)", async () => {
  const id = await deployAndKill(`orphaned-${rand}`, "wharf-test/slow:v1");
  expect((await db.instance.findUniqueOrThrow({ where: { id } })).status).toBe("deploying");
  // This process plays the surviving replica: its sweep runs once per lease period (2 s here), no call needed.
  process.env.WHARF_CONSUMER_LEASE_MS = "2000";
  expect(startRecoveryLoop()).toBe(true);
  try {
    const lease = await db.lease.findUniqueOrThrow({ where: { name: leaseName({ type: "instance", id }) } });
    const inst = await eventually(async () => {
      const row = await db.instance.findUniqueOrThrow({ where: { id } });
      return row.status === "failed" ? row : null;
    }, { timeoutMs: 30_000, intervalMs: 200, what: "the sweep to recover the dead deploy" });
    expect(inst.error).toMatch(/interrupted/);
    expect(await getRuntime().listManagedContainers({ instanceId: id })).toHaveLength(0);
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id } });
    expect(dep.status).toBe("failed");
    // Closed by the sweep not before the dead process's lease expired, and within a sweep period (plus the compensation) after it.
    expect(dep.finishedAt!.getTime()).toBeGreaterThanOrEqual(lease.expiresAt.getTime());
    expect(dep.finishedAt!.getTime() - lease.expiresAt.getTime()).toBeLessThan(2_000 + 5_000);
  } finally {
    stopRecoveryLoop();
    delete process.env.WHARF_CONSUMER_LEASE_MS;
  }
});

/** Runs a deploy in a child process and freezes it (SIGSTOP) once the container exists, as a long GC pause or a lost network would. */
function deployAndPause(name: string, image: string): Promise<{ id: string; child: ChildProcess; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/deploy-child.ts", name, image], {
      env: { ...process.env, WHARF_SCHEDULER: "off", LOG_LEVEL: "silent", WHARF_CONSUMER_LEASE_MS: "3000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let endedNow: () => void = () => undefined;
    const ended = new Promise<void>((r) => (endedNow = r));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`child never created a container: ${err}`))), 60_000);
    child.stdout.on("data", (d: Buffer) => {
      const before = out;
      out += d.toString();
      if (/JOB ENDED/.test(out)) endedNow();
      const m = /CREATED (\S+)/.exec(out);
      if (m && !/CREATED/.test(before)) {
        clearTimeout(timer);
        child.kill("SIGSTOP");
        resolve({ id: m[1], child, ended });
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  });
}

it("a process paused past its lease and resumed after another took over writes nothing more (fencing epoch)", async () => {
  const { id, child, ended } = await deployAndPause(`paused-${rand}`, "wharf-test/slow:v1");
  try {
    // While it is frozen its lease expires (by the database's clock) and this process's sweep takes the deploy over.
    await eventually(async () => ((await recoverInstances()) === 1 ? true : null), { timeoutMs: 30_000, intervalMs: 500, what: "the sweep to take the paused deploy over" });
    const snapshot = async () => ({
      instance: await db.instance.findUniqueOrThrow({ where: { id } }),
      deployments: await db.deployment.findMany({ where: { instanceId: id }, include: { steps: { orderBy: { position: "asc" } } }, orderBy: { startedAt: "asc" } }),
    });
    const recovered = await snapshot();
    expect(recovered.instance.status).toBe("failed");
    expect(recovered.deployments.map((d) => d.status)).toEqual(["failed"]);
    // Resumed: its job goes on, and every write it tries is refused (lease lost) until it ends.
    child.kill("SIGCONT");
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error("the resumed job never ended")), 60_000))]);
    expect(await snapshot()).toEqual(recovered);
  } finally {
    child.kill("SIGKILL");
  }
});
