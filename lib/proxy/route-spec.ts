import { AppError } from "../errors";
import { isWharfRouteId, normalizeFqdn } from "../naming";
import type { RouteSpec, Upstream } from "./types";

/** Refuses a spec no provider should receive; returns it with hosts normalised and de-duplicated. */
export function checkRouteSpec(spec: RouteSpec): RouteSpec {
  if (!isWharfRouteId(spec.id)) {
    throw new AppError("VALIDATION", `route id "${spec.id}" is not a Wharf route id (must start with wharf-)`, { field: "id" });
  }
  const hosts = [...new Set(spec.hosts.map(normalizeFqdn))].filter((h) => h.length > 0);
  if (hosts.length === 0) throw new AppError("VALIDATION", `route ${spec.id} has no host names`, { field: "hosts" });
  const { host, port, scheme } = spec.upstream;
  if (!host.trim()) throw new AppError("VALIDATION", `route ${spec.id} has an empty upstream host`, { field: "upstream.host" });
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AppError("VALIDATION", `route ${spec.id} has an invalid upstream port ${port}`, { field: "upstream.port" });
  }
  if (scheme !== "http" && scheme !== "https") {
    throw new AppError("VALIDATION", `route ${spec.id} has an invalid upstream scheme ${String(scheme)}`, { field: "upstream.scheme" });
  }
  return { ...spec, hosts };
}

/** The route id is an argument to removeRoute(); refuse anything that is not Wharf's before touching a provider. */
export function checkRouteId(id: string): void {
  if (!isWharfRouteId(id)) {
    throw new AppError("FOREIGN_RESOURCE", `refusing to touch route "${id}": it is not a Wharf route (ids start with wharf-)`);
  }
}

export function formatUpstream(u: Upstream): string {
  return `${u.scheme}://${u.host.includes(":") ? `[${u.host}]` : u.host}:${u.port}`;
}
