import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { acquireLease, releaseLease, renewLease } from "../db/lease";
import { db } from "../db";
import { envNumber } from "../env";
import { logger } from "../logger";
import { every, stopEvery } from "../scheduler/every";
import { ClusterFollower, type LookResult } from "./task-follower";

// The task follower's loop (issue 28): every WHARF_TASK_FOLLOW_MS (default
// 3 s; 0 = off) the process holding the "task-follower" lease (one per
// cluster of Wharf replicas, as the notifier's) keeps one ClusterFollower per
// Swarm server (its event stream open) and asks each for a look. A look is
// not waited for here: each cluster runs on its own, so one that is down or
// slow (every call under its deadline) delays none of the others.

export const TASK_FOLLOW_LEASE = "task-follower";
const KEY = "__wharfTaskFollower";

type State = { holder: string; held: boolean; followers: Map<string, ClusterFollower> };
const g = globalThis as unknown as { __wharfTaskFollowerState?: State };

export const taskFollowMs = () => envNumber("WHARF_TASK_FOLLOW_MS", 3_000);
const leaseTtlMs = () => Math.max(30_000, taskFollowMs() * 3);

function state(): State {
  return (g.__wharfTaskFollowerState ??= { holder: `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`, held: false, followers: new Map() });
}

/** Takes or keeps the lease, then brings the followers in line with the Swarm servers; the followers, or none when another replica holds the lease. */
async function followers(): Promise<ClusterFollower[]> {
  const s = state();
  s.held = s.held ? await renewLease(TASK_FOLLOW_LEASE, s.holder, leaseTtlMs()) : (await acquireLease(TASK_FOLLOW_LEASE, s.holder, leaseTtlMs())).ok;
  if (!s.held) {
    stopAll(s);
    return [];
  }
  const rows = await db.server.findMany({ where: { kind: "swarm" } });
  for (const [id, f] of s.followers) {
    if (rows.some((r) => r.id === id)) continue;
    f.stop();
    s.followers.delete(id);
  }
  for (const row of rows) {
    const f = s.followers.get(row.id);
    if (f) {
      f.update(row);
      continue;
    }
    const created = new ClusterFollower(row);
    s.followers.set(row.id, created);
    created.watch();
  }
  return [...s.followers.values()];
}

function stopAll(s: State): void {
  for (const f of s.followers.values()) f.stop();
  s.followers.clear();
}

/** One look at every cluster, waited for (tests, and the loop's own tick without the wait). */
export async function followTasksOnce(): Promise<LookResult[]> {
  return Promise.all((await followers()).map((f) => f.look()));
}

/** Per cluster (server id): how many looks and manager events the follower has had. */
export function taskFollowerStats(): Map<string, { looks: number; events: number }> {
  return new Map([...state().followers].map(([id, f]) => [id, { ...f.stats }]));
}

export function startTaskFollower(): boolean {
  if (taskFollowMs() === 0) return false;
  const started = every({
    key: KEY,
    intervalMs: () => taskFollowMs() || 3_000,
    run: async () => {
      for (const f of await followers()) void f.look();
    },
    op: "task-follow",
    failed: "task follower look failed",
  });
  if (started) logger.info({ op: "task-follow", intervalMs: taskFollowMs() }, "task follower started");
  return started;
}

export async function stopTaskFollower(): Promise<void> {
  stopEvery(KEY);
  const s = state();
  stopAll(s);
  if (s.held) await releaseLease(TASK_FOLLOW_LEASE, s.holder);
  s.held = false;
}
