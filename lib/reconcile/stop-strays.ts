import { db } from "../db";
import { errorMessage } from "../errors";
import { LABEL_INSTANCE, labelOwner } from "../naming";
import { installationId } from "../secrets";
import type { ContainerInfo, ContainerRuntime } from "../docker/types";
import type { TSettings } from "../settings/schemas";
import { settingsOnServer } from "../servers/placement";
import { readRouteUpstream, targets } from "../deployer/route-target";
import { deployTimeouts } from "../deployer/timeouts";
import type { InstanceRepair, SkippedConsumer } from "./report";
import { underLease } from "./under-lease";

// After a move (issue 27) the old server's container is stopped by the move,
// unless that server did not answer then: it keeps running there, and the
// instance's own repair (repair-instance.ts) only looks at the instance's
// current server. So, per reachable server, the containers of this
// installation's instances that run on a server other than the instance's
// current one are stopped here, each under its instance's lease, never
// removed (the operator may want its logs), and named in the report. Each
// server's look has its own deadline: one that stalls holds up none of the others.

/** A server that answered this sync's ping; `id` null is the built-in local one. */
export interface UpServer {
  id: string | null;
  name: string;
  rt: ContainerRuntime;
}

type Sink = InstanceRepair & { skipped: SkippedConsumer[] };

/** Per server, at most this long (a stop waits out the grace period, so it grows with it). */
function serverDeadlineMs(): number {
  return 30_000 + deployTimeouts().stopSeconds * 1000;
}

/** Swarm's own containers (a service's tasks) belong to repair-service.ts, wherever they run. */
const isSwarmTask = (c: ContainerInfo) => "com.docker.swarm.task.id" in c.labels;

export async function stopStrayContainers(o: { servers: UpServer[]; settings: TSettings; dryRun: boolean; res: Sink; deadlineMs?: number }): Promise<void> {
  const rows = await db.server.findMany({ where: { id: { in: o.servers.flatMap((s) => (s.id ? [s.id] : [])) } }, select: { id: true, kind: true, upstreamAddress: true } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const names = new Map((await db.server.findMany({ select: { id: true, name: true } })).map((r) => [r.id, r.name]));
  const serverName = (id: string | null) => (id ? (names.get(id) ?? id) : "local");
  const deadline = o.deadlineMs ?? serverDeadlineMs();
  await Promise.all(
    o.servers
      .filter((s) => !s.id || byId.get(s.id)?.kind !== "swarm")
      .map(async (server) => {
        const settings = server.id ? settingsOnServer(o.settings, byId.get(server.id) ?? null) : o.settings;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), deadline);
        });
        const work = strayOnServer({ ...o, server, settings, serverName }).catch((err: unknown) => {
          o.res.containers.failed++;
          o.res.lines.push({ kind: "container", name: `server ${server.name}`, action: "stop", status: "failed", message: `leftover containers not checked: ${errorMessage(err)}` });
        });
        try {
          if ((await Promise.race([work, late])) === "late") {
            o.res.lines.push({ kind: "container", name: `server ${server.name}`, action: "stop", status: "failed", message: `leftover containers not checked within ${Math.round(deadline / 1000)} s; the next sync looks again` });
          }
        } finally {
          clearTimeout(timer);
        }
      }),
  );
}

/** One server's look: its running containers of this installation's instances that live elsewhere now. */
async function strayOnServer(o: { server: UpServer; settings: TSettings; dryRun: boolean; res: Sink; serverName: (id: string | null) => string }): Promise<void> {
  const { server, res } = o;
  const mine = (await server.rt.listManagedContainers()).filter((c) => c.state === "running" && c.labels[LABEL_INSTANCE] && labelOwner(c.labels, installationId()) === "mine" && !isSwarmTask(c));
  if (!mine.length) return;
  const rows = await db.instance.findMany({ where: { id: { in: [...new Set(mine.map((c) => c.labels[LABEL_INSTANCE]))] } }, select: { id: true, serverId: true, status: true } });
  const elsewhere = new Set(rows.filter((r) => r.status !== "removed" && r.serverId !== server.id).map((r) => r.id));
  for (const c of mine.filter((x) => elsewhere.has(x.labels[LABEL_INSTANCE]))) {
    const id = c.labels[LABEL_INSTANCE];
    // Already reported busy by this sync's repair: a move in progress, whose own last step this is.
    if (res.skipped.some((s) => s.consumer === `instance:${id}`)) continue;
    const line = (status: "ok" | "failed" | "planned", message: string) => {
      res.lines.push({ kind: "container", name: c.name, action: "stop", status, message });
    };
    await underLease({ consumer: { type: "instance", id }, name: c.name, kind: "container", report: res }, async () => {
      // Read again under the lease: a move that just finished, or one back onto this server, changes the answer.
      const inst = await db.instance.findUnique({ where: { id }, select: { name: true, serverId: true, status: true, port: true, containerId: true, previousContainerId: true } });
      if (!inst || inst.status === "removed" || inst.serverId === server.id) return;
      // The same engine registered as two servers shows the instance's own containers under both names: never those.
      if (c.id === inst.containerId || c.id === inst.previousContainerId) return;
      const where = `${c.name} on server ${server.name}: instance ${inst.name} runs on ${o.serverName(inst.serverId)} now`;
      if (o.dryRun) return line("planned", `${where}; would be stopped (not removed)`);
      const routed = await readRouteUpstream(id, o.settings).catch((err: unknown) => err as Error);
      if (routed instanceof Error || targets(routed, o.settings, c, inst.port)) {
        res.containers.failed++;
        return line("failed", `${where}; left running: ${routed instanceof Error ? routed.message : "the route targets it"}`);
      }
      try {
        await server.rt.stopContainer(c.id, deployTimeouts().stopSeconds);
        line("ok", `${where}; it was still running there: stopped, not removed`);
      } catch (err) {
        res.containers.failed++;
        line("failed", `${where}; could not be stopped: ${errorMessage(err)}`);
      }
    });
  }
}
