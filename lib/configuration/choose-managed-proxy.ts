import type { Actor } from "../audit/record-event";
import { managedProxyDefaults } from "../proxy/managed-caddy";
import type { TSettings } from "../settings/schemas";
import { updateSettingsAndReroute } from "./settings-change";

/**
 * The first-run offer (issue 24): "Use Wharf's Caddy" in one click. Wharf
 * starts its own Caddy with the defaults (WHARF_MANAGED_PROXY_* or caddy:2 on
 * 80/443), addresses upstreams on its Docker network, and routes every
 * existing instance at once.
 */
export async function chooseManagedProxy(opts: { actor: Actor }): Promise<TSettings> {
  return updateSettingsAndReroute({ actor: opts.actor, body: { proxy: { provider: managedProxyDefaults() } } });
}
