import type { Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import type { SwarmRuntime, TaskInfo } from "../swarm/types";
import { ensureInstanceRoute, type RouteStatus } from "./instance-route";

// A Swarm service's route (issue 28): every task that runs, at its node's
// address and the port the engine published there in host mode. Swarm's
// routing mesh is never used (it needs IPVS, and a task on a node the proxy
// cannot reach would get requests). The reconciler and each operation call
// this as tasks move; Caddy balances across them and retries a request that
// cannot connect on another one.

export function taskUpstreams(tasks: TaskInfo[]): Upstream[] {
  const seen = new Set<string>();
  const out: Upstream[] = [];
  for (const t of tasks) {
    if (t.state !== "running" || t.desiredState !== "running" || !t.publishedPort || !t.nodeAddress) continue;
    const key = `${t.nodeAddress}:${t.publishedPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ scheme: "http", host: t.nodeAddress, port: t.publishedPort });
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port);
}

/** Points the route at the service's running tasks; throws when none runs (nothing to route to). */
export async function routeService(opts: { instance: { id: string; subdomain: string; name: string }; swarm: SwarmRuntime; service: string; settings: TSettings }): Promise<{ status: RouteStatus; upstreams: Upstream[] }> {
  const upstreams = taskUpstreams(await opts.swarm.listTasks(opts.service));
  if (!upstreams.length) throw new Error(`service ${opts.service} has no running task to route to`);
  const status = await ensureInstanceRoute({ instance: opts.instance, upstream: upstreams[0], upstreams, settings: opts.settings });
  return { status, upstreams };
}

/**
 * Keeps the route on the running tasks while a rollout replaces them: each
 * time the set changes (a new task runs, an old one is being shut down) the
 * route is pushed again, one push at a time, so a start-first update never
 * leaves the proxy with only stopped tasks. A push that fails is reported to
 * `onError` and retried at the next change; `settle` waits for the last one.
 */
export class RouteFollower {
  private last = "";
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: { instance: { id: string; subdomain: string }; settings: TSettings; onError: (err: unknown) => void }) {}

  follow(tasks: TaskInfo[]): void {
    const upstreams = taskUpstreams(tasks);
    const key = upstreams.map((u) => `${u.host}:${u.port}`).join(",");
    if (!upstreams.length || key === this.last) return;
    this.last = key;
    this.chain = this.chain.then(() =>
      ensureInstanceRoute({ instance: this.o.instance, upstream: upstreams[0], upstreams, settings: this.o.settings }).then(
        () => undefined,
        (err: unknown) => {
          this.last = "";
          this.o.onError(err);
        },
      ),
    );
  }

  settle(): Promise<void> {
    return this.chain;
  }
}
