import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { liveEnv } from "../env";

/** `WHARF_DNS_RESOLVER` (host:port, comma-separated) or the system's resolvers. */
function resolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  const servers = liveEnv().dnsResolverServers;
  if (servers?.length) r.setServers(servers);
  return r;
}

/** A name's addresses through `r`: itself when it is an IP, else its A and AAAA records (none when it does not resolve). */
export async function resolvedAddresses(r: Resolver, name: string): Promise<string[]> {
  if (isIP(name)) return [name];
  const [v4, v6] = await Promise.all([r.resolve4(name).catch(() => [] as string[]), r.resolve6(name).catch(() => [] as string[])]);
  return [...v4, ...v6];
}

/**
 * Managed mode (SPEC §7): before asking for a certificate, wait until the
 * name resolves to the target through the resolver, bounded. An ACME CA
 * validating a name that does not resolve refuses the order, and Caddy then
 * waits a minute before trying again.
 */
export async function waitResolves(opts: { fqdn: string; target: string; timeoutMs: number; signal?: AbortSignal }): Promise<{ ok: true } | { ok: false; error: string }> {
  const r = resolver();
  const deadline = Date.now() + opts.timeoutMs;
  let seen: string[] = [];
  for (;;) {
    const [have, want] = await Promise.all([resolvedAddresses(r, opts.fqdn), resolvedAddresses(r, opts.target)]);
    seen = have;
    if (have.some((a) => want.includes(a))) return { ok: true };
    if (Date.now() >= deadline || opts.signal?.aborted) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const via = liveEnv().dnsResolverLabel;
  return {
    ok: false,
    error: `${opts.fqdn} does not resolve to ${opts.target} via ${via} after ${Math.round(opts.timeoutMs / 1000)} s (it resolves to ${seen.join(", ") || "nothing"}); the CA would refuse the order`,
  };
}
