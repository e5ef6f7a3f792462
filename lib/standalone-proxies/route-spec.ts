import { randomBytes } from "node:crypto";
import { AppError } from "../errors";
import { routeId } from "../naming";
import { formatUpstream } from "../proxy/route-spec";
import type { RouteSpec, RouteTls, Upstream } from "../proxy/types";
import { parseUpstream } from "./schemas";

// Shared by the proxy operations (and usable by the reconciler): how a
// StandaloneProxy row becomes the one route a provider holds for it.

export interface ProxyShape {
  id: string;
  domain: string;
  upstream: Upstream;
  websockets: boolean;
  forceTls: boolean;
  /** From lib/tls/consumer-tls.ts routeTls(); absent: plain HTTP. */
  tls?: RouteTls;
}

export function proxyRouteSpec(p: ProxyShape): RouteSpec {
  return {
    id: routeId("standalone", p.id),
    consumer: { type: "standalone", id: p.id },
    hosts: [p.domain],
    upstream: p.upstream,
    websockets: p.websockets,
    forceTls: p.forceTls,
    ...(p.tls ? { tls: p.tls } : {}),
  };
}

/** The stored form of an upstream: always scheme://host:port, so the row says exactly what the route does. */
export const upstreamText = formatUpstream;

/** A row's upstream back to its parts; rows are written by this module only, so a bad one is an internal fault. */
export function rowUpstream(row: { id: string; upstream: string }): Upstream {
  const parsed = parseUpstream(row.upstream);
  if (!parsed.ok) throw new AppError("INTERNAL", `standalone proxy ${row.id} has an unreadable upstream "${row.upstream}": ${parsed.message}`);
  return parsed.upstream;
}

export function rowShape(row: { id: string; domain: string; upstream: string; websockets: boolean; forceTls: boolean }): ProxyShape {
  return { id: row.id, domain: row.domain, upstream: rowUpstream(row), websockets: row.websockets, forceTls: row.forceTls };
}

/** Prisma's unique-constraint violation (P2002): a concurrent create or rename took the domain first. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

/**
 * Ids are made here, not by the database, because the route id derives from
 * the row id and the route is written before the row (SPEC §4.2). Same
 * alphabet as Prisma's cuid(): lower-case letters and digits, safe in a Caddy
 * @id, an NPM marker and a DNS record marker.
 */
export function newProxyId(): string {
  return `c${Date.now().toString(36)}${randomBytes(8).toString("hex")}`;
}

/** A provider refusing the host name (someone else routes it) belongs under the domain field of a form. */
export function onDomainField(err: unknown): unknown {
  if (!(err instanceof AppError) || err.field) return err;
  const aboutHost = err.code === "FOREIGN_RESOURCE" || (err.code === "CONFLICT" && /already (routed|used|in use)/.test(err.message));
  return aboutHost ? new AppError(err.code, err.message, { field: "domain", details: err.details, cause: err }) : err;
}
