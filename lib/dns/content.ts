import { isIPv4, isIPv6 } from "node:net";
import { AppError } from "../errors";
import { normalizeFqdn } from "../naming";
import type { DesiredRecord, RecordType } from "./types";

export const MANAGED_TYPES: readonly RecordType[] = ["A", "AAAA", "CNAME"];

export function isManagedType(type: string): type is RecordType {
  return (MANAGED_TYPES as readonly string[]).includes(type.toUpperCase());
}

/** The record type a target implies: A for IPv4, AAAA for IPv6, CNAME for a hostname. */
export function typeForContent(content: string): RecordType {
  const v = content.trim();
  if (isIPv4(v)) return "A";
  if (isIPv6(v)) return "AAAA";
  return "CNAME";
}

/** Expands an IPv6 address to eight zero-padded groups so that textual variants compare equal. */
function expandIPv6(addr: string): string {
  const [head, tail] = addr.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, missing)).fill("0"), ...right];
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/**
 * The one form record content is compared in. Providers echo content in
 * their own spelling (PowerDNS adds a trailing dot to CNAME targets,
 * Cloudflare compresses IPv6), so raw string equality would report drift
 * that is not there.
 */
export function normalizeContent(type: string, content: string): string {
  const v = content.trim();
  switch (type.toUpperCase()) {
    case "AAAA":
      return isIPv6(v) ? expandIPv6(v) : v.toLowerCase();
    case "CNAME":
      return normalizeFqdn(v);
    default:
      return v;
  }
}

export function sameContent(type: string, a: string, b: string): boolean {
  return normalizeContent(type, a) === normalizeContent(type, b);
}

/** Whether `fqdn` lies inside `zone` (both normalised). */
export function inZone(fqdn: string, zone: string): boolean {
  return fqdn === zone || fqdn.endsWith(`.${zone}`);
}

/** Rejects a desired record that no provider could store as asked, before any request is spent on it. */
export function validateDesired(record: DesiredRecord): DesiredRecord {
  const fqdn = normalizeFqdn(record.fqdn);
  if (!fqdn || fqdn.includes(" ")) throw new AppError("VALIDATION", `invalid record name "${record.fqdn}"`, { field: "fqdn" });
  if (!isManagedType(record.type)) throw new AppError("VALIDATION", `unsupported record type ${record.type}`, { field: "type" });
  const content = record.content.trim();
  if (record.type === "A" && !isIPv4(content)) throw new AppError("VALIDATION", `"${content}" is not an IPv4 address`, { field: "content" });
  if (record.type === "AAAA" && !isIPv6(content)) throw new AppError("VALIDATION", `"${content}" is not an IPv6 address`, { field: "content" });
  const labels = normalizeFqdn(content).split(".");
  if (record.type === "CNAME" && (isIPv4(content) || isIPv6(content) || labels.length < 2 || labels.some((l) => !l || l.length > 63))) {
    throw new AppError("VALIDATION", `"${content}" is not a hostname`, { field: "content" });
  }
  if (!Number.isInteger(record.ttl) || record.ttl < 1) throw new AppError("VALIDATION", `invalid TTL ${record.ttl}`, { field: "ttl" });
  const normal = record.type === "CNAME" ? normalizeFqdn(content) : content;
  // Already in normal form (every record Wharf plans): the same object, not a copy per change.
  return fqdn === record.fqdn && normal === record.content ? record : { ...record, fqdn, content: normal };
}
