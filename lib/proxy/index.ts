import { AppError } from "../errors";
import type { TProxyProviderConfig } from "../settings/schemas";
import { CaddyProvider } from "./caddy";
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
    default: {
      const never: never = config;
      throw new AppError("VALIDATION", `unknown proxy provider ${JSON.stringify(never)}`, { field: "proxy.provider.type" });
    }
  }
}
