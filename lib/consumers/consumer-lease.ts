import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { db, jsonChunks, jsonTextRows, jsonValues, rawSql, writeChunks } from "../db";
import { envNumber } from "../env";
import { AppError, errorMessage } from "../errors";
import { logger } from "../logger";
import type { ConsumerRef } from "../naming";
import { acquireLease, dbNow, liveLeases, releaseLease, renewLease, type LeaseFence } from "../db/lease";

// The consumer lease (SPEC §13): one row in Lease per consumer that some
// operation is changing, named `consumer:<type>:<id>`, held by
// `<operation>:<uuid>`. It is what makes "one writer per consumer" hold
// across processes: the deployer, the standalone-proxy operations, the DNS
// hooks they call and every per-consumer repair of the reconciler take it
// before reading the consumer, and renew it while they run. A process that
// dies stops renewing; once the lease expires any process may take over.

/** The operation names a holder reports ("busy: redeploy"). */
export type ConsumerOperation =
  | "deploy" | "redeploy" | "update" | "rollback" | "start" | "stop" | "remove" | "cancel" | "recover"
  | "proxy.create" | "proxy.update" | "proxy.delete" | "dns.delete" | "orphan.remove" | "sync"
  | "domain.check" | "domain.remove";

export const consumerKey = (c: ConsumerRef) => `${c.type}:${c.id}`;
export const leaseName = (c: ConsumerRef) => `consumer:${consumerKey(c)}`;
/** The operation part of a holder string (`redeploy:1f…` → `redeploy`). */
export const holderOperation = (holder: string) => holder.slice(0, holder.lastIndexOf(":")) || holder;

export function consumerLeaseTimings() {
  return {
    /** A holder that stops renewing loses the lease after this long (a SIGKILLed process's jobs become recoverable). */
    ttlMs: envNumber("WHARF_CONSUMER_LEASE_MS", 15_000),
    /** Renewal and cancel-flag polling period ("cancel reaches a job within a second"). */
    heartbeatMs: envNumber("WHARF_HEARTBEAT_MS", 1_000),
  };
}

export function busyError(consumer: ConsumerRef, holder: string, label?: string): AppError {
  const operation = holderOperation(holder);
  return new AppError("CONFLICT", `${label ?? consumerKey(consumer)} is busy: ${operation} is running; try again when it has finished`, {
    details: { consumer: consumerKey(consumer), operation },
    publicDetails: { consumer: consumerKey(consumer), operation },
  });
}

/** The consumer lease the running operation holds (set by `withConsumer`, `tryWithConsumer` and the deploy jobs). */
const heldNow = new AsyncLocalStorage<ConsumerLease>();

/**
 * The lease of the operation this code runs in, if any: the fenced writes
 * (instance and domain transitions, deployment history, standalone-proxy
 * rows) check it in the same transaction, so a holder paused past its lease
 * writes nothing after another process took over (issue 26).
 */
export const currentLease = (): ConsumerLease | undefined => heldNow.getStore();

/**
 * A held consumer lease. `heartbeat()` renews it every second and calls
 * `onTick` (a job polls its cancel flag there); losing the lease (another
 * process took it over after we stalled past the TTL) aborts `signal`, so
 * the holder stops before it writes on top of the new owner. The epoch is
 * the fencing token this acquisition got (see `fenced` in ../db/lease).
 */
export class ConsumerLease implements LeaseFence {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private released = false;

  private constructor(readonly consumer: ConsumerRef, readonly operation: ConsumerOperation, readonly holder: string, readonly epoch: number) {}

  get name(): string {
    return leaseName(this.consumer);
  }

  get label(): string {
    return consumerKey(this.consumer);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs `fn` as this lease's holder: the fenced writes it makes check this lease. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return heldNow.run(this, fn);
  }

  /** Takes the lease now or returns who holds it. Never waits. */
  static async tryAcquire(consumer: ConsumerRef, operation: ConsumerOperation): Promise<ConsumerLease | { busy: string }> {
    const holder = `${operation}:${randomUUID()}`;
    const res = await acquireLease(leaseName(consumer), holder, consumerLeaseTimings().ttlMs);
    return res.ok ? new ConsumerLease(consumer, operation, holder, res.epoch) : { busy: res.holder };
  }

  /**
   * Takes the lease or throws 409 naming the running operation. A lease held
   * by the reconciler is waited for (up to `waitForSyncMs`): its repairs are
   * short, and an operator's click should not fail because a sync was passing by.
   */
  static async acquire(opts: { consumer: ConsumerRef; operation: ConsumerOperation; label?: string | (() => Promise<string>); waitForSyncMs?: number }): Promise<ConsumerLease> {
    const deadline = Date.now() + (opts.waitForSyncMs ?? 10_000);
    for (;;) {
      const got = await ConsumerLease.tryAcquire(opts.consumer, opts.operation);
      if (got instanceof ConsumerLease) return got;
      if (holderOperation(got.busy) !== "sync" || Date.now() > deadline) {
        throw busyError(opts.consumer, got.busy, typeof opts.label === "function" ? await opts.label() : opts.label);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Renews every heartbeat until released; `onTick` runs after each renewal. */
  heartbeat(onTick?: (lease: ConsumerLease) => Promise<void>): void {
    if (this.timer || this.released) return;
    const { ttlMs, heartbeatMs } = consumerLeaseTimings();
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      void (async () => {
        try {
          if (!(await renewLease(leaseName(this.consumer), this.holder, ttlMs))) {
            this.controller.abort(new Error(`lost the lease of ${consumerKey(this.consumer)}: another process took the operation over`));
            this.stop();
            return;
          }
          await onTick?.(this);
        } catch (err) {
          // A failed renewal is retried at the next beat; the TTL leaves many beats of slack.
          logger.warn({ op: `consumer.${this.operation}`, consumer: consumerKey(this.consumer), step: "heartbeat", err: errorMessage(err) }, "lease heartbeat failed");
        } finally {
          running = false;
        }
      })();
    }, heartbeatMs);
    this.timer.unref();
  }

  /** Aborts the holder's signal (a cancel seen by the heartbeat). */
  abort(reason: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async release(): Promise<void> {
    this.stop();
    if (this.released) return;
    this.released = true;
    await releaseLease(leaseName(this.consumer), this.holder);
  }
}

/**
 * THE way to change a consumer (STYLE habit 11): takes its lease (409 naming
 * the running operation when busy), renews it while `fn` runs, releases it
 * afterwards. `fn` must read the consumer itself, inside: nothing read
 * before the lease may decide anything.
 */
export async function withConsumer<T>(opts: { consumer: ConsumerRef; operation: ConsumerOperation; label?: string | (() => Promise<string>) }, fn: (lease: ConsumerLease) => Promise<T>): Promise<T> {
  return whileHeld(await ConsumerLease.acquire(opts), fn);
}

/**
 * Try-the-lease-or-skip, for passes that must never wait (the reconciler,
 * recovery): runs `fn` under the consumer's lease if it is free right now,
 * renewed while `fn` runs and released afterwards. A consumer another
 * operation holds is left to it: `{ busy }` names the holder and `fn` never runs.
 */
export async function tryWithConsumer<T>(opts: { consumer: ConsumerRef; operation: ConsumerOperation }, fn: (lease: ConsumerLease) => Promise<T>): Promise<{ done: T } | { busy: string }> {
  const lease = await ConsumerLease.tryAcquire(opts.consumer, opts.operation);
  return lease instanceof ConsumerLease ? { done: await whileHeld(lease, fn) } : { busy: lease.busy };
}

/** Runs `fn` with the lease renewed, and releases it afterwards however `fn` ends. */
async function whileHeld<T>(lease: ConsumerLease, fn: (lease: ConsumerLease) => Promise<T>): Promise<T> {
  lease.heartbeat();
  try {
    return await lease.run(() => fn(lease));
  } finally {
    await lease.release();
  }
}

/** Who holds which consumer lease right now (unexpired by the database's clock), keyed by `type:id`. */
export async function heldConsumerLeases(): Promise<Map<string, string>> {
  const rows = await liveLeases("consumer:");
  return new Map(rows.map((r) => [r.name.slice("consumer:".length), r.holder]));
}

// Raw statements set and compare dates by the database's clock (dbNow from
// ../db/lease, in Prisma's text form on SQLite: checked against Prisma's own
// writes in consumer-lease.test.ts).

/**
 * The reconciler's DNS pass takes the leases of many consumers at once (a
 * 10,000-record zone): one statement per chunk inserts the free names and
 * takes over expired ones; names held by a live operation are left alone and
 * returned as busy. All held names share one holder, released together.
 */
export async function acquireConsumerLeases(consumers: ConsumerRef[], operation: ConsumerOperation): Promise<{ holder: string; held: Set<string>; busy: Map<string, string>; release: () => Promise<void> }> {
  const holder = `${operation}:${randomUUID()}`;
  const { ttlMs, heartbeatMs } = consumerLeaseTimings();
  const keys = [...new Set(consumers.map(consumerKey))];
  const held = new Set<string>();
  const busy = new Map<string, string>();
  // Fixed statement text, a chunk of names as one JSON parameter: no per-chunk query planning, 5,000 names per commit.
  const chunks = () => jsonChunks(keys, (k) => `consumer:${k}`);
  await writeChunks(chunks(), (names) =>
    db.$executeRawUnsafe(
      rawSql(`INSERT INTO "Lease" ("name","holder","acquiredAt","expiresAt","epoch") SELECT j.value, CAST(? AS TEXT), ${dbNow()}, ${dbNow(true)}, 1 FROM ${jsonTextRows()} WHERE true
       ON CONFLICT("name") DO UPDATE SET "holder"=excluded."holder","acquiredAt"=excluded."acquiredAt","expiresAt"=excluded."expiresAt","epoch"="Lease"."epoch"+1 WHERE "Lease"."expiresAt" <= ${dbNow()}`),
      holder, ttlMs, names,
    ),
  );
  const read = rawSql(`SELECT "name","holder" FROM "Lease" WHERE "name" IN (${jsonValues()})`);
  for (const names of chunks()) {
    const rows = await db.$queryRawUnsafe<{ name: string; holder: string }[]>(read, names);
    for (const r of rows) {
      const key = r.name.slice("consumer:".length);
      if (r.holder === holder) held.add(key);
      else busy.set(key, r.holder);
    }
  }
  // One renewal statement for all of them while the pass runs (a large zone's batch can outlast the TTL).
  const renew = rawSql(`UPDATE "Lease" SET "expiresAt" = ${dbNow(true)} WHERE "holder" = ? AND "expiresAt" > ${dbNow()}`);
  const timer = setInterval(() => {
    db.$executeRawUnsafe(renew, ttlMs, holder).catch((err: unknown) => {
      logger.warn({ op: `consumer.${operation}`, consumer: "many", step: "heartbeat", err: errorMessage(err) }, "lease heartbeat failed");
    });
  }, heartbeatMs);
  timer.unref();
  const release = async () => {
    clearInterval(timer);
    await db.lease.deleteMany({ where: { holder } });
  };
  return { holder, held, busy, release };
}
