import { recordEvent, type Actor } from "../audit/record-event";
import { currentLease, holderOperation, tryWithConsumer } from "../consumers/consumer-lease";
import { db } from "../db";
import { fenced } from "../db/lease";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { routeId } from "../naming";
import type { ProxyProvider } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import type { SwarmRuntime } from "../swarm/types";
import { ensureInstanceRoute } from "./instance-route";
import { serviceName } from "./service-spec";
import { taskUpstreams } from "./service-route";
import { describeMove, upstreamsKey } from "./task-follow-plan";

/** Who the audit log names for a route the task follower moved. */
export const TASK_FOLLOWER_ACTOR: Actor = { kind: "system", label: "task follower", role: "admin" };

export type FollowOutcome =
  | { outcome: "moved"; key: string; message: string }
  | { outcome: "unchanged"; key: string }
  | { outcome: "skipped"; reason: string }
  | { outcome: "failed"; message: string };

/**
 * Re-points one instance's route at the tasks its service runs now, under
 * the instance's consumer lease (taken as "sync" now or not at all: an
 * operation holding it follows its own tasks). Everything is read again
 * under the lease (the row, the service's tasks, the route as the proxy
 * shows it): the listing that suggested the move is only a hint. A move is
 * recorded in the audit log (Activity) and logged.
 */
export async function followTaskRoute(o: { serverId: string; swarm: SwarmRuntime; provider: ProxyProvider; settings: TSettings; instanceId: string }): Promise<FollowOutcome> {
  const started = Date.now();
  const got = await tryWithConsumer({ consumer: { type: "instance", id: o.instanceId }, operation: "sync" }, async (): Promise<FollowOutcome> => {
    const row = await db.instance.findUnique({ where: { id: o.instanceId } });
    if (!row || row.status !== "running" || row.serverId !== o.serverId) return { outcome: "skipped", reason: "no longer running on this cluster" };
    const tasks = await o.swarm.listTasks(serviceName(row.name));
    const to = taskUpstreams(tasks);
    if (!to.length) return { outcome: "skipped", reason: "no task runs" };
    const route = (await o.provider.listRoutes()).find((r) => r.id === routeId("instance", row.id));
    if (!route) return { outcome: "skipped", reason: "no route (the sync re-creates it)" };
    const key = upstreamsKey(to);
    if (upstreamsKey(route.upstreams) === key) return { outcome: "unchanged", key };
    try {
      await ensureInstanceRoute({ instance: row, upstream: to[0], upstreams: to, settings: o.settings });
    } catch (err) {
      return { outcome: "failed", message: errorMessage(err) };
    }
    if (row.routeStatus !== "active" || row.routeError) {
      await fenced(currentLease(), (tx) => tx.instance.update({ where: { id: row.id }, data: { routeStatus: "active", routeError: null } }));
    }
    const message = `route follows the service's tasks: ${describeMove(route.upstreams, to)}`;
    logger.info({ op: "task-follow", consumer: `instance:${row.id}`, step: "route", elapsedMs: Date.now() - started, from: route.upstreams.map((u) => `${u.host}:${u.port}`), to: to.map((u) => `${u.host}:${u.port}`) }, message);
    await recordEvent({ actor: TASK_FOLLOWER_ACTOR, action: "instance.route", target: row.name, result: "ok", message });
    return { outcome: "moved", key, message };
  });
  if ("busy" in got) return { outcome: "skipped", reason: `busy: ${holderOperation(got.busy)}` };
  // Logged, not audited: the next look retries, and an audit line per look would bury the log.
  if (got.done.outcome === "failed") {
    logger.warn({ op: "task-follow", consumer: `instance:${o.instanceId}`, step: "route", elapsedMs: Date.now() - started, err: got.done.message }, "route not moved onto the tasks");
  }
  return got.done;
}
