import { createHash } from "node:crypto";

// Every derived resource name comes from here (SPEC §4.9): containers,
// network aliases, proxy route ids, DNS ownership markers and labels.
export type ConsumerType = "instance" | "standalone";
/** One consumer (an instance or a standalone proxy): what leases, DNS hooks and certificates are keyed by. */
export interface ConsumerRef {
  type: ConsumerType;
  id: string;
}

export const LABEL_MANAGED = "wharf.managed";
export const LABEL_INSTANCE = "wharf.instance";
export const LABEL_DEPLOYMENT = "wharf.deployment";
/** The installation that created a container or volume (issue 22): another installation's are never orphans of this one. */
export const LABEL_INSTALLATION = "wharf.installation";
export const ROUTE_ID_PREFIX = "wharf-";
/** The Swarm service of an instance on a cluster (issue 28). */
export const serviceName = (instanceName: string) => `wharf-${instanceName}`;
/**
 * Who a DNS record belongs to: a consumer, or a custom domain whose CNAME
 * Wharf writes itself because its zone is one the DNS provider manages
 * (issue 25; `domain:<custom domain id>` in the ledger and the marker).
 */
export type RecordOwnerType = ConsumerType | "domain";
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

export function containerLabels(instanceId: string, deploymentId: string, installation: string): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_INSTANCE]: instanceId, [LABEL_DEPLOYMENT]: deploymentId, [LABEL_INSTALLATION]: installation };
}

/**
 * Who a Wharf container or volume belongs to, seen from `installation`:
 * `mine`, `other` (another installation's label: foreign, never listed as
 * an orphan, removed or repaired), or `legacy` (made before the label:
 * this installation's only where one of its rows names it).
 */
export function labelOwner(labels: Record<string, string>, installation: string): "mine" | "other" | "legacy" {
  const owner = labels[LABEL_INSTALLATION];
  if (!owner) return "legacy";
  return owner === installation ? "mine" : "other";
}

const ROUTE_GROUP_PREFIX = "wharf.installation=";

/**
 * Caddy routes carry the installation in `group`: Caddy decodes route JSON
 * strictly (no free metadata field besides `@id`), and a group only makes
 * its routes mutually exclusive, which Wharf's terminal, host-specific
 * routes already are.
 */
export function routeGroup(installation: string): string {
  return `${ROUTE_GROUP_PREFIX}${installation}`;
}

/** The installation a route's group names, or null (a route from before the group, or a foreign group). */
export function installationOfRouteGroup(group: unknown): string | null {
  return typeof group === "string" && group.startsWith(ROUTE_GROUP_PREFIX) ? group.slice(ROUTE_GROUP_PREFIX.length) || null : null;
}

/**
 * Named volume for a mount without a name: stable per instance and target, so
 * blue and green (and every later generation) mount the same volume. The hash
 * keeps `/a/b` and `/a-b` apart after the path is flattened.
 */
export function volumeName(instanceName: string, target: string): string {
  const slug = target.replace(/^\/+/, "").replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^[-_.]+/, "").slice(0, 60);
  return `wharf-${instanceName}-${slug ? `${slug}-` : ""}${createHash("sha256").update(target).digest("hex").slice(0, 6)}`;
}

/** Volumes carry the container labels minus the deployment: they outlive every generation (SPEC §4.8). */
export function volumeLabels(instanceId: string, installation: string): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_INSTANCE]: instanceId, [LABEL_INSTALLATION]: installation };
}

export function routeId(type: ConsumerType, id: string): string {
  return `${ROUTE_ID_PREFIX}${type === "instance" ? "instance" : "proxy"}-${id}`;
}

/** `@id` of the TLS automation policy Caddy holds for a route's hosts; not a route id (parseRouteId refuses it). */
export function tlsPolicyId(routeIdValue: string): string {
  return routeIdValue.replace(/^wharf-/, "wharf-tls-");
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

export { INSTALLATION_ID_RE } from "./env";

/** Provider-side ownership marker (Cloudflare comment, PowerDNS rrset comment): `wharf:<installation>:<consumer type>:<id>`. */
export function recordMarker(installation: string, type: RecordOwnerType, id: string): string {
  // join, not a template: it makes one flat string. V8 keeps a concatenation as a tree of its parts,
  // three times the memory of the marker itself, 100,000 times over in a large sync.
  return [RECORD_MARKER_PREFIX, installation, ":", type, ":", id].join("");
}

/** The marker Wharf wrote before markers carried an installation id. */
export function legacyRecordMarker(type: ConsumerType, id: string): string {
  return `${RECORD_MARKER_PREFIX}${type}:${id}`;
}

/** Any Wharf marker, of this installation or another. */
export function isWharfMarker(marker: string | undefined | null): boolean {
  return typeof marker === "string" && marker.startsWith(RECORD_MARKER_PREFIX);
}

export interface ParsedMarker {
  /** null for a legacy marker (written before installation ids). */
  installation: string | null;
  type: RecordOwnerType;
  id: string;
}

export function parseRecordMarker(marker: string): ParsedMarker | null {
  const legacy = /^wharf:(instance|standalone):(\S+)$/.exec(marker);
  if (legacy) return { installation: null, type: legacy[1] as ConsumerType, id: legacy[2] };
  const m = /^wharf:([A-Za-z0-9-]+):(instance|standalone|domain):(\S+)$/.exec(marker);
  return m ? { installation: m[1], type: m[2] as RecordOwnerType, id: m[3] } : null;
}

/**
 * Who a marker says owns a record, seen from `installation`: `mine` (this
 * installation's marker), `legacy` (a Wharf marker without an installation id:
 * ours only where this installation's ledger has the record), `other` (another
 * installation's, or a Wharf marker that does not parse: foreign, never changed),
 * `none` (no Wharf marker at all: foreign).
 */
export function markerOwner(marker: string | undefined | null, installation: string): "mine" | "legacy" | "other" | "none" {
  if (!isWharfMarker(marker)) return "none";
  const parsed = parseRecordMarker(marker!);
  if (!parsed) return "other";
  if (parsed.installation === null) return "legacy";
  return parsed.installation === installation ? "mine" : "other";
}

/**
 * Whether a record marked `marker` may be overwritten with the marker `want`
 * by `installation`: its own marker, or a legacy one naming the same consumer
 * (consumer ids are cuids, unique across installations). A legacy marker of
 * another consumer proves nothing about which installation wrote it.
 */
export function markerAllowsWrite(marker: string | undefined | null, installation: string, want: string): boolean {
  const who = markerOwner(marker, installation);
  if (who === "mine") return true;
  if (who !== "legacy") return false;
  const had = parseRecordMarker(marker!);
  const will = parseRecordMarker(want);
  return Boolean(had && will && had.type === will.type && had.id === will.id);
}
