import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { acquireLease, releaseLease } from "../db/lease";
import { createServer } from "../servers/servers";
import { LOOK_DEADLINE_MS } from "./task-follower";
import { followTasksOnce, stopTaskFollower, TASK_FOLLOW_LEASE } from "./task-follower-loop";

// The follower's shell against clusters that do not answer (loopback only):
// one that never answers and one that refuses. Each look ends within its
// deadline, the clusters are recorded `down` with the reason, nothing throws;
// and a replica without the lease looks at nothing.
let silent: net.Server;
const sockets: net.Socket[] = [];
let silentPort = 0;
let refusedPort = 0;

beforeAll(async () => {
  silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  refusedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const dir = mkdtempSync(path.join(tmpdir(), "wharf-follow-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${dir}/k.pem`, "-out", `${dir}/c.pem`, "-subj", "/CN=t", "-days", "1"], { stdio: "ignore" });
  const tls = { ca: readFileSync(`${dir}/c.pem`, "utf8"), cert: readFileSync(`${dir}/c.pem`, "utf8"), key: readFileSync(`${dir}/k.pem`, "utf8") };
  await createServer({ actor: SYSTEM_ACTOR, body: { name: "silent", kind: "swarm", transport: "tls", address: "127.0.0.1", port: silentPort, tls } });
  await createServer({ actor: SYSTEM_ACTOR, body: { name: "refused", kind: "swarm", transport: "tls", address: "127.0.0.1", port: refusedPort, tls } });
});

afterAll(async () => {
  await stopTaskFollower();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe("the task follower's looks", () => {
  it("a cluster that never answers and one that refuses: each look ends within its deadline, both are recorded down, nothing throws", async () => {
    const t0 = Date.now();
    const results = await followTasksOnce();
    const took = Date.now() - t0;
    expect(took).toBeLessThan(LOOK_DEADLINE_MS + 3_000);
    expect(results.map((r) => [r.server, r.ok]).sort()).toEqual([
      ["refused", false],
      ["silent", false],
    ]);
    expect(results.find((r) => r.server === "silent")?.error).toMatch(/did not answer/);
    const rows = await db.server.findMany({ orderBy: { name: "asc" } });
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ["refused", "down"],
      ["silent", "down"],
    ]);
    expect(rows.every((r) => r.lastError)).toBe(true);
  }, 20_000);

  it("a replica that does not hold the follower's lease looks at nothing", async () => {
    await stopTaskFollower(); // releases this process's lease
    const other = await acquireLease(TASK_FOLLOW_LEASE, "another-replica", 60_000);
    expect(other.ok).toBe(true);
    try {
      expect(await followTasksOnce()).toEqual([]);
    } finally {
      await releaseLease(TASK_FOLLOW_LEASE, "another-replica");
    }
    expect((await followTasksOnce()).length).toBe(2);
  }, 20_000);
});
