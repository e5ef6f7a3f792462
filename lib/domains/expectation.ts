import { isIP } from "node:net";
import { isCloudflareAddress } from "./cloudflare-ranges";

// The pure core of custom-domain validation (SPEC §14): which records would
// prove that a domain points at its instance, and whether what the resolver
// found does. The resolver call (resolve-domain.ts) and the job around it are
// thin shells over these two functions.

export const challengeName = (domain: string) => `_wharf-challenge.${domain}`;

/** Where a domain must point: the instance's FQDN, or the target's addresses. */
export interface DomainTarget {
  /** The instance's own FQDN (`web.apps.example.com`). */
  fqdn: string;
  /** The settings' target address as written (an IP or a host name). */
  targetAddress: string;
  /** The target's addresses (the target itself when it is an IP; else what it resolves to). */
  addresses: string[];
}

/** What the resolver answered for a domain. `error`: it could not answer (the check proves nothing either way). */
export interface DnsFindings {
  /** The CNAME chain from the domain, in order (empty: no CNAME). */
  cnames: string[];
  /** A and AAAA records (after the chain). */
  addresses: string[];
  /** TXT strings at `_wharf-challenge.<domain>`. */
  txt: string[];
  error?: string;
}

export interface ExpectedRecord {
  type: "CNAME" | "A" | "AAAA" | "TXT";
  name: string;
  content: string;
}

/** The records that satisfy validation, in order of preference: what the UI shows and `expected` in the API. */
export function expectedRecords(domain: string, target: DomainTarget, token: string): ExpectedRecord[] {
  const out: ExpectedRecord[] = [{ type: "CNAME", name: domain, content: target.fqdn }];
  for (const a of target.addresses) out.push({ type: isIP(a) === 6 ? "AAAA" : "A", name: domain, content: a });
  out.push({ type: "TXT", name: challengeName(domain), content: token });
  return out;
}

export type Verdict = { ok: true; via: "cname" | "address" | "txt"; message: string } | { ok: false; message: string; cloudflare: boolean };

function describeFound(domain: string, f: DnsFindings): string {
  const parts: string[] = [];
  if (f.cnames.length) parts.push(`CNAME ${f.cnames.join(" → ")}`);
  const v4 = f.addresses.filter((a) => isIP(a) === 4);
  const v6 = f.addresses.filter((a) => isIP(a) === 6);
  if (v4.length) parts.push(`A ${v4.join(", ")}`);
  if (v6.length) parts.push(`AAAA ${v6.join(", ")}`);
  return parts.length ? `${domain} has ${parts.join("; ")}` : `${domain} has no CNAME, A or AAAA record`;
}

export function describeExpected(domain: string, target: DomainTarget, token: string): string {
  const addr = target.addresses.map((a) => `${isIP(a) === 6 ? "AAAA" : "A"} ${a}`);
  const options = [`CNAME to ${target.fqdn}`, ...(addr.length ? [addr.join(" / ")] : [])];
  return `expected ${options.join(" or ")}, or TXT ${challengeName(domain)} = ${token}`;
}

/**
 * Whether the findings prove the domain points here: a CNAME chain through
 * the instance's FQDN; or A/AAAA records that are all target addresses; or
 * the TXT token. Otherwise the message says exactly what was found and what
 * is expected.
 */
export function evaluate(domain: string, found: DnsFindings, target: DomainTarget, token: string): Verdict {
  if (found.cnames.includes(target.fqdn)) return { ok: true, via: "cname", message: `${domain} has CNAME to ${target.fqdn}` };
  if (found.addresses.length > 0 && found.addresses.every((a) => target.addresses.includes(a))) {
    return { ok: true, via: "address", message: `${domain} resolves to ${found.addresses.join(", ")}` };
  }
  if (found.txt.includes(token)) return { ok: true, via: "txt", message: `${challengeName(domain)} carries the token` };
  const cloudflare = found.addresses.length > 0 && found.addresses.every(isCloudflareAddress);
  const txtNote = found.txt.length ? `; ${challengeName(domain)} has TXT ${found.txt.map((t) => JSON.stringify(t)).join(", ")}` : "";
  const cfNote = cloudflare ? `; these are Cloudflare proxy addresses (the name is proxied), so prove ownership with the TXT record` : "";
  return { ok: false, cloudflare, message: `${describeFound(domain, found)}${txtNote}; ${describeExpected(domain, target, token)}${cfNote}` };
}
