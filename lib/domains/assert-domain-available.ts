import { db } from "../db";
import { AppError } from "../errors";
import { normalizeFqdn } from "../naming";

/**
 * A custom domain is unique across every consumer and lies outside the base
 * domain (SPEC §14): names under the base domain are Wharf's own, given to
 * instances by their subdomain and published by its DNS mode. All refusals
 * are 400s naming `domain`; a racing add is also stopped by the unique index.
 */
export async function assertDomainAvailable(opts: { domain: string; baseDomain: string }): Promise<void> {
  const domain = normalizeFqdn(opts.domain);
  const base = normalizeFqdn(opts.baseDomain);
  const refuse = (why: string) => {
    throw new AppError("VALIDATION", `domain: ${domain} ${why}`, { field: "domain" });
  };
  if (!domain.includes(".")) refuse("is not a fully qualified domain name");
  if (domain === base) refuse("is the base domain; add a domain of your own");
  if (domain.endsWith(`.${base}`)) refuse(`is under the base domain ${base}; instances get those names from their subdomain`);
  const custom = await db.customDomain.findUnique({ where: { domain }, select: { instance: { select: { name: true } } } });
  if (custom) refuse(`is already a custom domain of instance ${custom.instance.name}`);
  const proxy = await db.standaloneProxy.findUnique({ where: { domain }, select: { id: true } });
  if (proxy) refuse("is already used by a standalone proxy");
}
