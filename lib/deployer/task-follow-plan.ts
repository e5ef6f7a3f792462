import type { Upstream } from "../proxy/types";
import type { TaskInfo } from "../swarm/types";
import { serviceName } from "./service-spec";
import { taskUpstreams } from "./service-route";

// The task follower's decision (issue 28), pure: which instances' routes no
// longer point at the tasks their service runs. Compared as sets (the order
// Caddy balances over does not matter); a route with no task to go to, an
// instance whose service is gone, or one whose route is missing is left to
// the reconciler (re-creating a service or a route is a repair, not a move).

/** The upstreams as one comparable text, order-free: `host:port` sorted, comma-joined. */
export function upstreamsKey(upstreams: Upstream[]): string {
  return [...new Set(upstreams.map((u) => `${u.scheme}://${u.host}:${u.port}`))].sort().join(",");
}

/** What changed between two sets of upstreams, for the operator: "198.18.0.13:30001 → 198.18.0.12:30002". */
export function describeMove(from: Upstream[], to: Upstream[]): string {
  const a = new Set(from.map((u) => `${u.host}:${u.port}`));
  const b = new Set(to.map((u) => `${u.host}:${u.port}`));
  const gone = [...a].filter((x) => !b.has(x)).sort();
  const added = [...b].filter((x) => !a.has(x)).sort();
  return `${gone.length ? gone.join(", ") : "(none)"} → ${added.length ? added.join(", ") : "(none)"}`;
}

export interface TaskFollowMove {
  id: string;
  name: string;
  from: Upstream[];
  to: Upstream[];
}

export interface TaskFollowPlan {
  /** Routes to re-point, each under its instance's lease. */
  moves: TaskFollowMove[];
  /** Instances that need nothing now, with the task key they were judged on (nothing to look at until it changes). */
  settled: Array<{ id: string; key: string }>;
  /** Instances left alone this time, and why. */
  skipped: Array<{ id: string; name: string; reason: string }>;
}

/**
 * `tasks`: the tasks meant to run per service name (one listing of the
 * cluster); `routes`: each instance's route upstreams as the proxy shows
 * them (absent: no route); `busy`: instances an operation holds (their
 * operation follows its own tasks).
 */
export function planTaskFollow(o: { instances: Array<{ id: string; name: string }>; tasks: Map<string, TaskInfo[]>; routes: Map<string, Upstream[]>; busy: Set<string> }): TaskFollowPlan {
  const plan: TaskFollowPlan = { moves: [], settled: [], skipped: [] };
  for (const inst of o.instances) {
    const skip = (reason: string) => void plan.skipped.push({ id: inst.id, name: inst.name, reason });
    if (o.busy.has(inst.id)) {
      skip("an operation holds it");
      continue;
    }
    const tasks = o.tasks.get(serviceName(inst.name));
    const to = tasks ? taskUpstreams(tasks) : [];
    const key = upstreamsKey(to);
    if (!tasks) {
      skip("its service is missing (the sync restores it)");
      plan.settled.push({ id: inst.id, key });
      continue;
    }
    if (!to.length) {
      skip("no task runs (nothing to route to)");
      plan.settled.push({ id: inst.id, key });
      continue;
    }
    const from = o.routes.get(inst.id);
    if (!from) {
      skip("it has no route (the sync re-creates it)");
      plan.settled.push({ id: inst.id, key });
      continue;
    }
    if (upstreamsKey(from) === key) plan.settled.push({ id: inst.id, key });
    else plan.moves.push({ id: inst.id, name: inst.name, from, to });
  }
  return plan;
}

/** Whether the memory of the last look (`seen`: instance → task key) says nothing moved, so the proxy need not be read. */
export function nothingMoved(o: { instances: Array<{ id: string; name: string }>; tasks: Map<string, TaskInfo[]>; seen: Map<string, string> }): boolean {
  return o.instances.every((inst) => {
    const tasks = o.tasks.get(serviceName(inst.name));
    return o.seen.get(inst.id) === upstreamsKey(tasks ? taskUpstreams(tasks) : []);
  });
}
