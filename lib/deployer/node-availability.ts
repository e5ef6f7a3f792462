import { setTimeout as sleep } from "node:timers/promises";
import type { Actor } from "../audit/record-event";
import { tryWithConsumer } from "../consumers/consumer-lease";
import { db } from "../db";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { swarmOfServer } from "../servers/cluster";
import { getServerRow, updateNode } from "../servers/servers";
import { getSettings } from "../settings/get-settings";
import type { NodeInfo, SwarmRuntime, TaskInfo } from "../swarm/types";
import { ensureInstanceRoute } from "./instance-route";
import { serviceName } from "./service-spec";
import { taskUpstreams } from "./service-route";
import { deployTimeouts } from "./timeouts";
import { parseInput } from "../validation";
import { ZNodeUpdateSchema } from "../servers/schemas";

// A node's availability set from Wharf (issue 28). Draining a node stops its
// tasks, and Swarm starts them elsewhere; a task stopped while it answers a
// request breaks that request. So Wharf drains as a load balancer would:
// first every route is taken off the node's tasks (where other tasks run),
// then the drain period lets requests in flight finish, then Swarm drains
// the node, and the routes follow the replacement tasks as they start. Each
// route is written under its instance's lease; an instance an operation
// holds is left to that operation (its own route follower).

const FOLLOW_MS = 60_000;

export async function setNodeAvailability(opts: { actor: Actor; id: string; nodeId: string; body: unknown }): Promise<NodeInfo> {
  // Validated before anything moves (the same schema updateNode applies).
  const body = parseInput(ZNodeUpdateSchema, opts.body);
  if (body.availability !== "drain") return updateNode(opts);
  const server = await getServerRow(opts.id);
  const swarm = swarmOfServer(server);
  const instances = await db.instance.findMany({ where: { serverId: server.id, status: "running" }, select: { id: true, name: true, subdomain: true } });
  let moved = 0;
  for (const inst of instances) {
    const tasks = await swarm.listTasks(serviceName(inst.name)).catch(() => []);
    const off = tasks.filter((t) => t.nodeId !== opts.nodeId);
    if (taskUpstreams(off).length && taskUpstreams(off).length < taskUpstreams(tasks).length && (await reroute(inst, off))) moved++;
  }
  if (moved) await sleep(deployTimeouts().drainMs);
  const node = await updateNode(opts);
  void followReplacements({ swarm, instances }).catch((err: unknown) => logger.warn({ op: "node.drain", err: errorMessage(err) }, "route follow after a drain failed"));
  return node;
}

/** The instance's route on `tasks`, under its lease; false when another operation holds it or the push failed. */
async function reroute(inst: { id: string; subdomain: string }, tasks: TaskInfo[]): Promise<boolean> {
  const upstreams = taskUpstreams(tasks);
  if (!upstreams.length) return false;
  const settings = await getSettings();
  const r = await tryWithConsumer({ consumer: { type: "instance", id: inst.id }, operation: "sync" }, async () => {
    // Decided on the row as it is now, under the lease: a removed or stopped instance gets no route back.
    const now = await db.instance.findUnique({ where: { id: inst.id }, select: { status: true } });
    if (now?.status !== "running") return false;
    return ensureInstanceRoute({ instance: inst, upstream: upstreams[0], upstreams, settings }).then(
      () => true,
      (err: unknown) => {
        logger.warn({ op: "node.drain", consumer: `instance:${inst.id}`, err: errorMessage(err) }, "route not moved off the node");
        return false;
      },
    );
  });
  return "done" in r && r.done;
}

/** For a while after the drain: each time an instance's running tasks change, its route follows (the sync does the same later). */
async function followReplacements(o: { swarm: SwarmRuntime; instances: { id: string; name: string; subdomain: string }[] }): Promise<void> {
  const last = new Map<string, string>();
  const until = Date.now() + FOLLOW_MS;
  while (Date.now() < until) {
    await sleep(1_000);
    for (const inst of o.instances) {
      const tasks = await o.swarm.listTasks(serviceName(inst.name)).catch(() => null);
      if (!tasks) continue;
      const key = taskUpstreams(tasks).map((u) => `${u.host}:${u.port}`).join(",");
      if (!key || last.get(inst.id) === key) continue;
      if (await reroute(inst, tasks)) last.set(inst.id, key);
    }
  }
}
