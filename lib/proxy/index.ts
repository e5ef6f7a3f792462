import { AppError } from "../errors";
import type { TProxyProviderConfig } from "../settings/schemas";
import { CaddyProvider } from "./caddy";
import { managedCaddyConfig } from "./managed-caddy";
import { NpmProvider } from "./npm";
import type { ProxyProvider } from "./types";

export type { ProxyProvider, ProxyRoute, RouteSpec, Upstream, ConnectionResult } from "./types";

/** The one place a proxy provider is chosen from settings (STYLE habit 5). */
export function createProxyProvider(config: TProxyProviderConfig, opts: { timeoutMs?: number } = {}): ProxyProvider {
  switch (config.type) {
    case "caddy":
      return new CaddyProvider(config, opts);
    case "npm":
      return new NpmProvider(config, opts);
    // Wharf's own Caddy container (lib/managed-proxy keeps it running): the Caddy provider at its admin URL.
    case "managed":
      return new CaddyProvider(managedCaddyConfig(), opts);
    default: {
      const never: never = config;
      throw new AppError("VALIDATION", `unknown proxy provider ${JSON.stringify(never)}`, { field: "proxy.provider.type" });
    }
  }
}

// Providers are kept per configuration so that state worth keeping (NPM's
// login token) survives between operations; a changed configuration gets a new one.
const cache = new Map<string, ProxyProvider>();

/** The configured proxy provider, or null when none is configured (routes are then "not configured"). */
export function getProxyProvider(settings: { proxy: { provider: TProxyProviderConfig | null } }): ProxyProvider | null {
  const config = settings.proxy.provider;
  if (!config) return null;
  const key = JSON.stringify(config);
  let provider = cache.get(key);
  if (!provider) {
    if (cache.size > 8) cache.clear();
    provider = createProxyProvider(config);
    cache.set(key, provider);
  }
  return provider;
}
