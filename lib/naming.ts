// Every derived resource name comes from here (SPEC §4.9): containers,
// network aliases, proxy route ids, DNS ownership markers and labels.
export type ConsumerType = "instance" | "standalone";

export const LABEL_MANAGED = "wharf.managed";
export const LABEL_INSTANCE = "wharf.instance";
export const LABEL_DEPLOYMENT = "wharf.deployment";
export const ROUTE_ID_PREFIX = "wharf-";
export const RECORD_MARKER_PREFIX = "wharf:";

/** Lower-case, no trailing dot: the one form FQDNs are compared in. */
export function normalizeFqdn(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, "");
}

export function instanceFqdn(subdomain: string, baseDomain: string): string {
  return normalizeFqdn(`${subdomain}.${baseDomain}`);
}

/** Container name for one deployment of an instance: unique per deployment so blue and green can coexist. */
export function containerName(instanceName: string, deploymentId: string): string {
  return `wharf-${instanceName}-${deploymentId.slice(-8)}`;
}

/** Stable DNS alias of an instance on the shared network, independent of the deployment. */
export function networkAlias(instanceName: string): string {
  return `wharf-${instanceName}`;
}

export function containerLabels(instanceId: string, deploymentId: string): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_INSTANCE]: instanceId, [LABEL_DEPLOYMENT]: deploymentId };
}

export function routeId(type: ConsumerType, id: string): string {
  return `${ROUTE_ID_PREFIX}${type === "instance" ? "instance" : "proxy"}-${id}`;
}

export function isWharfRouteId(id: string | undefined | null): boolean {
  return typeof id === "string" && id.startsWith(ROUTE_ID_PREFIX);
}

/** Parses a route id back to its consumer, or null when it is not one of ours. */
export function parseRouteId(id: string): { type: ConsumerType; id: string } | null {
  const m = /^wharf-(instance|proxy)-(.+)$/.exec(id);
  if (!m) return null;
  return { type: m[1] === "instance" ? "instance" : "standalone", id: m[2] };
}

/** Provider-side ownership marker (Cloudflare comment, PowerDNS rrset comment). */
export function recordMarker(type: ConsumerType, id: string): string {
  return `${RECORD_MARKER_PREFIX}${type}:${id}`;
}

export function isWharfMarker(marker: string | undefined | null): boolean {
  return typeof marker === "string" && marker.startsWith(RECORD_MARKER_PREFIX);
}

export function parseRecordMarker(marker: string): { type: ConsumerType; id: string } | null {
  const m = /^wharf:(instance|standalone):(\S+)/.exec(marker);
  return m ? { type: m[1] as ConsumerType, id: m[2] } : null;
}
