import { heldConsumerLeases } from "../consumers/consumer-lease";
import { db } from "../db";
import { errorMessage } from "../errors";
import type { Server } from "../generated/prisma/client";
import { logger } from "../logger";
import { parseRouteId } from "../naming";
import { getProxyProvider } from "../proxy";
import type { Upstream } from "../proxy/types";
import { swarmOfServer } from "../servers/cluster";
import { recordStatus } from "../servers/fleet";
import { getSettings } from "../settings/get-settings";
import type { SwarmRuntime } from "../swarm/types";
import { followTaskRoute, type FollowOutcome } from "./follow-task-route";
import { nothingMoved, planTaskFollow } from "./task-follow-plan";

// One cluster's task follower (issue 28): its routes follow the tasks Swarm
// moves by itself (a worker's engine died, a node drained with the docker
// CLI, a task rescheduled), without waiting for a sync. A look lists the
// cluster's tasks once (however many services), compares each running
// instance's tasks with what the follower last confirmed its route holds,
// and only when something moved reads the proxy's routes and re-points the
// routes that differ, each under its instance's lease (follow-task-route.ts).
// The manager's event stream (services updated, nodes down, drained) makes
// the follower look right away and then every second for a while, since the
// tasks it announces move over the following seconds; the poll of
// task-follower-loop.ts (every WHARF_TASK_FOLLOW_MS) is the floor. Looks never overlap: one asked for
// while another runs is run once after it.

/** Every Swarm call of a look ends within this (an SSH handshake included): one slow cluster never holds the others. */
export const LOOK_DEADLINE_MS = 5_000;
/** After an event: look every second for this long. */
const HOT_MS = 30_000;
const HOT_EVERY_MS = 1_000;
/** The event stream is reopened this often (a connection that died silently is replaced). */
const STREAM_MS = 60_000;
/** What the follower remembers is dropped this often, so a route changed behind its back is compared again. */
const FORGET_MS = 5 * 60_000;

export interface LookResult {
  server: string;
  ok: boolean;
  error?: string;
  moves: Array<{ instance: string } & FollowOutcome>;
}

export class ClusterFollower {
  private row: Server;
  private running: Promise<LookResult> | null = null;
  private again = false;
  private stopped = false;
  private hotUntil = 0;
  private burst: Promise<void> | null = null;
  private readonly events = new AbortController();
  /** Instance → the task key its route was last confirmed on. */
  private seen = new Map<string, string>();
  private seenSince = Date.now();
  private down = false;
  /** What this follower saw and did (for tests and the logs). */
  readonly stats = { looks: 0, events: 0 };

  constructor(row: Server) {
    this.row = row;
  }

  get id(): string {
    return this.row.id;
  }

  /** The row as read now (a changed address or credential gets a new runtime from swarmOfServer). */
  update(row: Server): void {
    this.row = row;
  }

  private swarm(): SwarmRuntime {
    return swarmOfServer(this.row);
  }

  /** One look now, or once more after the one under way. */
  look(): Promise<LookResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<LookResult> => {
      let last: LookResult;
      do {
        this.again = false;
        last = await this.lookOnce().catch((err: unknown) => ({ server: this.row.name, ok: false, error: errorMessage(err), moves: [] }));
      } while (this.again && !this.stopped);
      return last;
    };
    this.running = run().finally(() => (this.running = null));
    return this.running;
  }

  private async lookOnce(): Promise<LookResult> {
    this.stats.looks++;
    const res: LookResult = { server: this.row.name, ok: true, moves: [] };
    let tasks;
    try {
      tasks = await this.swarm().listManagedTasks({ timeoutMs: LOOK_DEADLINE_MS });
    } catch (err) {
      await this.markDown(errorMessage(err));
      return { ...res, ok: false, error: errorMessage(err) };
    }
    await this.markUp();
    if (Date.now() - this.seenSince > FORGET_MS) {
      this.seen = new Map();
      this.seenSince = Date.now();
    }
    const instances = await db.instance.findMany({ where: { serverId: this.row.id, status: "running" }, select: { id: true, name: true } });
    if (nothingMoved({ instances, tasks, seen: this.seen })) return res;
    const settings = await getSettings();
    const provider = getProxyProvider(settings);
    if (!provider) return res;
    const routes = new Map<string, Upstream[]>();
    for (const r of await provider.listRoutes()) {
      const owner = parseRouteId(r.id);
      if (owner?.type === "instance") routes.set(owner.id, r.upstreams);
    }
    const held = await heldConsumerLeases();
    const busy = new Set(instances.filter((i) => held.has(`instance:${i.id}`)).map((i) => i.id));
    const plan = planTaskFollow({ instances, tasks, routes, busy });
    for (const s of plan.settled) this.seen.set(s.id, s.key);
    for (const m of plan.moves) {
      const out = await followTaskRoute({ serverId: this.row.id, swarm: this.swarm(), provider, settings, instanceId: m.id });
      if (out.outcome === "moved" || out.outcome === "unchanged") this.seen.set(m.id, out.key);
      res.moves.push({ instance: m.name, ...out });
    }
    return res;
  }

  /** Recorded like the server monitor does (lib/servers/fleet.ts): on the row, once per change, never thrown. */
  private async markDown(message: string): Promise<void> {
    if (!this.down) logger.warn({ op: "task-follow", server: this.row.name, err: message }, "cluster unreachable: its routes are left as they are");
    this.down = true;
    await recordStatus(this.row.id, false, message);
  }

  private async markUp(): Promise<void> {
    if (!this.down) return;
    this.down = false;
    logger.info({ op: "task-follow", server: this.row.name }, "cluster reachable again");
    await recordStatus(this.row.id, true, null);
  }

  /** Something moves on the cluster: look now, then every second for a while. */
  kick(): void {
    this.hotUntil = Date.now() + HOT_MS;
    if (this.burst || this.stopped) return;
    this.burst = (async () => {
      while (!this.stopped && Date.now() < this.hotUntil) {
        await this.look();
        await new Promise((r) => setTimeout(r, HOT_EVERY_MS).unref());
      }
    })().finally(() => (this.burst = null));
  }

  /** Follows the manager's service and node events until stopped, reconnecting after a break. */
  watch(): void {
    const signal = this.events.signal;
    void (async () => {
      while (!signal.aborted) {
        const opened = Date.now();
        try {
          for await (const e of this.swarm().events({ signal, untilMs: opened + STREAM_MS })) {
            this.stats.events++;
            logger.debug({ op: "task-follow", server: this.row.name, event: `${e.type}.${e.action}`, id: e.id }, "swarm event");
            this.kick();
          }
        } catch (err) {
          if (signal.aborted) return;
          logger.debug({ op: "task-follow", server: this.row.name, err: errorMessage(err) }, "swarm event stream broke: reopened in 5 s");
        }
        // A stream that ran its time is reopened at once; one that broke (or ended early) after a pause.
        if (Date.now() - opened < STREAM_MS - 1_000) await new Promise((r) => setTimeout(r, 5_000).unref());
      }
    })();
  }

  stop(): void {
    this.stopped = true;
    this.events.abort();
  }
}
