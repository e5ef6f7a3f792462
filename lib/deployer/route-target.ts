import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerInfo } from "../docker/types";
import { errorMessage } from "../errors";
import { routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import type { Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { upstreamFor } from "./container-plan";

// What the proxy really serves for an instance, read back from the provider.
// A switch whose answer was lost, and every stop or removal of a container
// that may be serving, decide on this read-back, never on what Wharf meant
// to write (SPEC §13: a container the route targets is never stopped or removed).

export const sameUpstream = (a: Upstream, b: Upstream) => a.scheme === b.scheme && a.host === b.host && a.port === b.port;

/** The route's upstream (null: no route; "no-provider": nothing routes). Retries a failing read a few times, then throws. */
export async function readRouteUpstream(instanceId: string, settings: TSettings, attempts = 3): Promise<Upstream | null | "no-provider"> {
  const provider = getProxyProvider(settings);
  if (!provider) return "no-provider";
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const route = (await provider.listRoutes()).find((r) => r.id === routeId("instance", instanceId));
      return route?.upstreams[0] ?? null;
    } catch (err) {
      last = err;
      await sleep(300 * (i + 1));
    }
  }
  throw new Error(`the route could not be read back: ${errorMessage(last)}`);
}

/** Whether `upstream` is this container (a stopped container in host mode has no published port, so nothing targets it). */
export function targets(upstream: Upstream | null | "no-provider", settings: TSettings, container: ContainerInfo, port: number): boolean {
  if (!upstream || upstream === "no-provider") return false;
  try {
    return sameUpstream(upstream, upstreamFor(settings, container, port));
  } catch {
    return false;
  }
}
