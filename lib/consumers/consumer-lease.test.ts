import { afterEach, describe, expect, it } from "vitest";
import { dateParam, db, dbDate, isPostgres, rawSql, sqliteDate } from "../db";
import { isAppError } from "../errors";
import { acquireConsumerLeases, ConsumerLease, heldConsumerLeases, leaseName, withConsumer } from "./consumer-lease";

const web = { type: "instance" as const, id: "i-web" };
const api = { type: "standalone" as const, id: "p-api" };

afterEach(async () => {
  delete process.env.WHARF_CONSUMER_LEASE_MS;
  delete process.env.WHARF_HEARTBEAT_MS;
  await db.lease.deleteMany();
});

async function held(lease: ConsumerLease | { busy: string }): Promise<ConsumerLease> {
  if (!(lease instanceof ConsumerLease)) throw new Error(`expected the lease, busy: ${lease.busy}`);
  return lease;
}

describe("consumer lease", () => {
  it("one holder at a time; the second caller learns the running operation", async () => {
    const first = await held(await ConsumerLease.tryAcquire(web, "redeploy"));
    const second = await ConsumerLease.tryAcquire(web, "stop");
    expect(second).toEqual({ busy: expect.stringMatching(/^redeploy:/) });
    const err = await ConsumerLease.acquire({ consumer: web, operation: "stop", label: "instance web" }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe("CONFLICT");
    expect((err as Error).message).toBe("instance web is busy: redeploy is running; try again when it has finished");
    expect(isAppError(err) && err.publicDetails).toEqual({ consumer: "instance:i-web", operation: "redeploy" });
    // Another consumer is independent.
    await held(await ConsumerLease.tryAcquire(api, "proxy.update"));
    await first.release();
    await held(await ConsumerLease.tryAcquire(web, "stop"));
  });

  it("an operator's operation waits for a reconciler repair instead of failing", async () => {
    const sync = await held(await ConsumerLease.tryAcquire(web, "sync"));
    setTimeout(() => void sync.release(), 300);
    const t0 = Date.now();
    const lease = await ConsumerLease.acquire({ consumer: web, operation: "stop", waitForSyncMs: 5_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(lease.operation).toBe("stop");
  });

  it("a holder that stops renewing loses the lease at expiry; a renewing one keeps it", async () => {
    process.env.WHARF_CONSUMER_LEASE_MS = "300";
    process.env.WHARF_HEARTBEAT_MS = "50";
    const dead = await held(await ConsumerLease.tryAcquire(web, "deploy")); // never renews: a SIGKILLed process
    const alive = await held(await ConsumerLease.tryAcquire(api, "proxy.create"));
    alive.heartbeat();
    await new Promise((r) => setTimeout(r, 600));
    const takeover = await held(await ConsumerLease.tryAcquire(web, "recover"));
    expect(await ConsumerLease.tryAcquire(api, "sync")).toEqual({ busy: alive.holder });
    // The old holder's release must not free the new holder's lease.
    await dead.release();
    expect((await db.lease.findUniqueOrThrow({ where: { name: leaseName(web) } })).holder).toBe(takeover.holder);
    await alive.release();
  });

  it("a holder whose lease was taken over is aborted at its next heartbeat", async () => {
    process.env.WHARF_CONSUMER_LEASE_MS = "5000";
    process.env.WHARF_HEARTBEAT_MS = "50";
    const lease = await held(await ConsumerLease.tryAcquire(web, "redeploy"));
    lease.heartbeat();
    await db.lease.update({ where: { name: leaseName(web) }, data: { holder: "recover:other-process" } });
    await new Promise((r) => setTimeout(r, 200));
    expect(lease.signal.aborted).toBe(true);
    expect(String(lease.signal.reason)).toMatch(/lost the lease/);
  });

  it("withConsumer releases the lease when the operation throws", async () => {
    await expect(withConsumer({ consumer: web, operation: "stop" }, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(await heldConsumerLeases()).toEqual(new Map());
  });
});

describe("bulk consumer leases (the reconciler's DNS pass)", () => {
  it("writes dates in Prisma's own format, so raw comparisons agree with Prisma's", async () => {
    const at = new Date("2026-12-01T09:12:35.866Z");
    await db.lease.create({ data: { name: "probe", holder: "h", expiresAt: at } });
    // The form raw statements bind (dbDate, dateParam) finds exactly the row Prisma wrote, on either backend.
    const [hit] = await db.$queryRawUnsafe<{ n: number | bigint }[]>(rawSql(`SELECT count(*) AS n FROM "Lease" WHERE "name" = 'probe' AND "expiresAt" = ${dateParam()}`), dbDate(at));
    expect(Number(hit.n)).toBe(1);
    if (!isPostgres()) {
      const [row] = await db.$queryRawUnsafe<{ s: string }[]>(`SELECT ("expiresAt" || '') AS s FROM "Lease" WHERE "name" = 'probe'`);
      expect(row.s).toBe(sqliteDate(at));
    }
  });

  it("takes free and expired leases in one go and reports live ones as busy", async () => {
    const running = await held(await ConsumerLease.tryAcquire(web, "redeploy"));
    await db.lease.create({ data: { name: leaseName({ type: "instance", id: "i-dead" }), holder: "deploy:dead", expiresAt: new Date(Date.now() - 1000) } });
    const consumers = [web, api, { type: "instance" as const, id: "i-dead" }, ...Array.from({ length: 450 }, (_, i) => ({ type: "standalone" as const, id: `p${i}` }))];
    const bulk = await acquireConsumerLeases(consumers, "sync");
    expect(bulk.busy).toEqual(new Map([["instance:i-web", running.holder]]));
    expect(bulk.held.size).toBe(452);
    expect(bulk.held.has("instance:i-dead")).toBe(true);
    expect(await ConsumerLease.tryAcquire(api, "proxy.delete")).toEqual({ busy: bulk.holder });
    await bulk.release();
    expect([...(await heldConsumerLeases()).keys()]).toEqual(["instance:i-web"]);
  });
});
