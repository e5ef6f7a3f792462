import { Resolver } from "node:dns/promises";
import { liveEnv } from "../env";
import { resolvedAddresses } from "../tls/wait-resolves";
import { challengeName, type DnsFindings } from "./expectation";

// Asks the configured resolver (`WHARF_DNS_RESOLVER`, host:port[,…], else the
// system's) what a custom domain points at. "No such record" answers are
// findings; anything else (timeout, refused, SERVFAIL) is an error, because
// a resolver that cannot answer proves nothing either way.

const ABSENT = new Set(["ENODATA", "ENOTFOUND", "NOTFOUND", "NODATA"]);
const MAX_CHAIN = 8;

export function domainResolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  const servers = liveEnv().dnsResolverServers;
  if (servers?.length) r.setServers(servers);
  return r;
}

export const resolverLabel = () => liveEnv().dnsResolverLabel;

async function ask<T>(q: () => Promise<T[]>): Promise<T[]> {
  try {
    return await q();
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    if (ABSENT.has(code)) return [];
    throw new Error(`${resolverLabel()} could not answer (${code || (err as Error).message})`);
  }
}

const norm = (n: string) => n.toLowerCase().replace(/\.+$/, "");

export async function resolveDomain(domain: string, r: Resolver = domainResolver()): Promise<DnsFindings> {
  try {
    const cnames: string[] = [];
    let next = (await ask(() => r.resolveCname(domain)))[0];
    // Past the first hop the chain leaves the domain's zone: an authoritative
    // server (or a resolver) refusing a later hop ends the chain, it does not
    // void what was found (the CNAME to the instance may already be in it).
    while (next && !cnames.includes(norm(next)) && cnames.length < MAX_CHAIN) {
      cnames.push(norm(next));
      const hop = norm(next);
      next = (await ask(() => r.resolveCname(hop)).catch(() => [] as string[]))[0];
    }
    const lenient = <T>(q: () => Promise<T[]>) => (cnames.length ? ask(q).catch(() => [] as T[]) : ask(q));
    const [v4, v6, txt] = await Promise.all([lenient(() => r.resolve4(domain)), lenient(() => r.resolve6(domain)), ask(() => r.resolveTxt(challengeName(domain)))]);
    return { cnames, addresses: [...v4, ...v6], txt: txt.map((chunks) => chunks.join("")) };
  } catch (err) {
    return { cnames: [], addresses: [], txt: [], error: (err as Error).message };
  }
}

/** The target's addresses: itself when it is an IP, else what the resolver answers for it. */
export async function targetAddresses(target: string, r: Resolver = domainResolver()): Promise<string[]> {
  return resolvedAddresses(r, target);
}
