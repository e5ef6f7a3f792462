import { db } from "../db";
import { AppError } from "../errors";
import { instanceFqdn, normalizeFqdn, type ConsumerType } from "../naming";

/**
 * FQDNs are unique across instances, standalone proxies and custom domains, and never the bare
 * base domain (SPEC §5). `field` names the input that produced the FQDN.
 * Racing creates are also stopped by the unique indexes on Instance.subdomain
 * and StandaloneProxy.domain.
 */
export async function assertFqdnAvailable(opts: { fqdn: string; baseDomain: string; field: string; except?: { type: ConsumerType; id: string } }): Promise<void> {
  const fqdn = normalizeFqdn(opts.fqdn);
  const base = normalizeFqdn(opts.baseDomain);
  if (fqdn === base) throw new AppError("VALIDATION", `${opts.field}: ${fqdn} is the bare base domain; use a subdomain`, { field: opts.field });
  const skip = (type: ConsumerType, id: string) => opts.except?.type === type && opts.except.id === id;

  const custom = await db.customDomain.findUnique({ where: { domain: fqdn }, select: { instance: { select: { name: true } } } });
  if (custom) throw new AppError("CONFLICT", `${opts.field}: ${fqdn} is already a custom domain of instance ${custom.instance.name}`, { field: opts.field });
  const proxy = await db.standaloneProxy.findUnique({ where: { domain: fqdn } });
  if (proxy && !skip("standalone", proxy.id)) {
    throw new AppError("CONFLICT", `${opts.field}: ${fqdn} is already used by a standalone proxy`, { field: opts.field });
  }
  if (fqdn.endsWith(`.${base}`)) {
    const sub = fqdn.slice(0, -(base.length + 1));
    const inst = await db.instance.findUnique({ where: { subdomain: sub } });
    if (inst && !skip("instance", inst.id) && instanceFqdn(inst.subdomain, base) === fqdn) {
      throw new AppError("CONFLICT", `${opts.field}: ${fqdn} is already used by instance ${inst.name}`, { field: opts.field });
    }
  }
}
