import { afterEach, describe, expect, it, vi } from "vitest";
import { ConsumerLease, currentLease, heldConsumerLeases, leaseName } from "../consumers/consumer-lease";
import { transitionInstance } from "../deployer/transition-instance";
import { db, rawSql } from "../db";
import { isAppError } from "../errors";
import { acquireLease, dbNow, fenced, liveLeases, renewLease } from "./lease";

// Issue 26: expiry is the database's clock, and writes under a lease are
// fenced by its epoch. Runs on SQLite (unit) and PostgreSQL (unit-pg).

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  vi.useRealTimers();
  delete process.env.WHARF_CONSUMER_LEASE_MS;
  await db.lease.deleteMany();
  await db.instance.deleteMany({ where: { name: { startsWith: "fence-" } } });
});

/** This process's clock moved by `skewMs` (Date only: the database and the timers keep real time). */
function skewClock(skewMs: number) {
  const real = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(real + skewMs);
}

describe("lease expiry by the database's clock", () => {
  it("a replica whose clock runs an hour ahead does not take over a live lease", async () => {
    expect(await acquireLease("sync", "a", 60_000)).toEqual({ ok: true, epoch: 1 });
    skewClock(HOUR);
    expect(await acquireLease("sync", "b", 60_000)).toEqual({ ok: false, holder: "a" });
    expect(await liveLeases()).toEqual([{ name: "sync", holder: "a" }]);
    // Its own lease, taken with the clock ahead, lasts the TTL by the database's clock, not an hour more.
    expect(await acquireLease("usage", "b", 200)).toEqual({ ok: true, epoch: 1 });
    vi.useRealTimers();
    await sleep(400);
    expect(await acquireLease("usage", "c", 60_000)).toEqual({ ok: true, epoch: 2 });
  });

  it("a replica whose clock runs an hour behind neither keeps nor renews an expired lease", async () => {
    process.env.WHARF_CONSUMER_LEASE_MS = "200";
    const a = await ConsumerLease.tryAcquire({ type: "instance", id: "i-skew" }, "deploy");
    if (!(a instanceof ConsumerLease)) throw new Error("expected the lease");
    await sleep(400);
    skewClock(-HOUR);
    // To the lagging process the lease has 59 minutes left; to the database it has expired.
    expect(await renewLease(a.name, a.holder, 200)).toBe(false);
    expect(await heldConsumerLeases()).toEqual(new Map());
    const b = await ConsumerLease.tryAcquire({ type: "instance", id: "i-skew" }, "recover");
    expect(b).toBeInstanceOf(ConsumerLease);
    expect((b as ConsumerLease).epoch).toBe(a.epoch + 1);
  });

  it("compares with dates Prisma wrote (its DateTime storage format)", async () => {
    await db.lease.create({ data: { name: "ahead", holder: "h", expiresAt: new Date(Date.now() + 60_000) } });
    await db.lease.create({ data: { name: "behind", holder: "h", expiresAt: new Date(Date.now() - 60_000) } });
    const rows = await db.$queryRawUnsafe<{ name: string }[]>(rawSql(`SELECT "name" FROM "Lease" WHERE "expiresAt" > ${dbNow()}`));
    expect(rows.map((r) => r.name)).toEqual(["ahead"]);
    const [later] = await db.$queryRawUnsafe<{ n: number | bigint }[]>(rawSql(`SELECT count(*) AS n FROM "Lease" WHERE "expiresAt" < ${dbNow(true)}`), 120_000);
    expect(Number(later.n)).toBe(2);
  });

  it("every acquisition raises the epoch", async () => {
    expect(await acquireLease("job", "a", 100)).toEqual({ ok: true, epoch: 1 });
    await sleep(250);
    expect(await acquireLease("job", "b", 100)).toEqual({ ok: true, epoch: 2 });
    await sleep(250);
    expect(await acquireLease("job", "c", 60_000)).toEqual({ ok: true, epoch: 3 });
    expect((await db.lease.findUniqueOrThrow({ where: { name: "job" } })).epoch).toBe(3);
  });
});

describe("fenced writes", () => {
  it("a holder whose lease was taken over writes nothing: the row keeps the new holder's value", async () => {
    process.env.WHARF_CONSUMER_LEASE_MS = "200";
    const inst = await db.instance.create({ data: { name: "fence-a", image: "img:1", subdomain: "fence-a", port: 80 } });
    const consumer = { type: "instance" as const, id: inst.id };
    const a = await ConsumerLease.tryAcquire(consumer, "redeploy");
    if (!(a instanceof ConsumerLease)) throw new Error("expected the lease");
    // A pauses past its lease (no heartbeat: SIGSTOP, GC); B takes over and writes.
    await sleep(400);
    process.env.WHARF_CONSUMER_LEASE_MS = "60000";
    const b = await ConsumerLease.tryAcquire(consumer, "recover");
    if (!(b instanceof ConsumerLease)) throw new Error("expected the takeover");
    await fenced(b, (tx) => tx.instance.update({ where: { id: inst.id }, data: { error: "written by b" } }));
    // A resumes: its fenced write is refused before anything is written.
    const err = await fenced(a, (tx) => tx.instance.update({ where: { id: inst.id }, data: { error: "written by a" } })).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe("CONFLICT");
    expect((err as Error).message).toBe(`lease lost: another replica took over instance:${inst.id}`);
    // The same through the instance's transition, run as A's operation: refused, the state B left stays.
    const viaTransition = await a.run(() => transitionInstance(inst.id, "deploy")).catch((e: unknown) => e);
    expect((viaTransition as Error).message).toMatch(/^lease lost: another replica took over instance:/);
    const row = await db.instance.findUniqueOrThrow({ where: { id: inst.id } });
    expect({ error: row.error, status: row.status }).toEqual({ error: "written by b", status: inst.status });
    // B's own transition, run as B's operation, goes through.
    expect(await b.run(async () => (await transitionInstance(inst.id, "deploy")).status)).toBe("deploying");
    await b.release();
  });

  it("a released lease fences its old holder too, and no lease means no fence", async () => {
    const inst = await db.instance.create({ data: { name: "fence-b", image: "img:1", subdomain: "fence-b", port: 80 } });
    const a = await ConsumerLease.tryAcquire({ type: "instance", id: inst.id }, "stop");
    if (!(a instanceof ConsumerLease)) throw new Error("expected the lease");
    expect(await a.run(async () => currentLease()?.holder)).toBe(a.holder);
    await a.release();
    await expect(fenced(a, (tx) => tx.instance.update({ where: { id: inst.id }, data: { error: "late" } }))).rejects.toThrow(/^lease lost/);
    expect(currentLease()).toBeUndefined();
    await fenced(undefined, (tx) => tx.instance.update({ where: { id: inst.id }, data: { error: "unfenced" } }));
    expect((await db.instance.findUniqueOrThrow({ where: { id: inst.id } })).error).toBe("unfenced");
    expect(await db.lease.count({ where: { name: leaseName({ type: "instance", id: inst.id }) } })).toBe(0);
  });
});
