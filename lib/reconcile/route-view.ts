import type { ProxyProvider, ProxyRoute, RouteSpec } from "../proxy/types";
import { sameUpstream } from "../deployer/route-target";

/**
 * The sync's view of the proxy's routes. It is listed once, but a consumer
 * whose row changed after the listing (an operation ran in between, before
 * the sync took its lease) is compared against a fresh listing, so drift is
 * judged on what the proxy shows now, not on what it showed at the start.
 */
export class RouteView {
  private routes = new Map<string, ProxyRoute>();
  private listedAt = new Date(0);

  private constructor(private readonly provider: ProxyProvider) {}

  static async list(provider: ProxyProvider): Promise<RouteView> {
    const view = new RouteView(provider);
    await view.refresh();
    return view;
  }

  all(): ProxyRoute[] {
    return [...this.routes.values()];
  }

  private async refresh(): Promise<void> {
    const at = new Date();
    this.routes = new Map((await this.provider.listRoutes()).map((r) => [r.id, r]));
    this.listedAt = at;
  }

  /** Why the route differs from `spec` ("missing: re-created", "drifted: pushed again"), or null when it matches. */
  async drift(spec: RouteSpec, rowUpdatedAt: Date): Promise<string | null> {
    if (rowUpdatedAt >= this.listedAt) await this.refresh();
    const r = this.routes.get(spec.id);
    const want = spec.upstreams?.length ? spec.upstreams : [spec.upstream];
    const ok = r && r.hosts.join(",") === spec.hosts.join(",") && r.upstreams.length === want.length && want.every((u, i) => sameUpstream(r.upstreams[i], u));
    if (ok) return null;
    return r ? "drifted: pushed again" : "missing: re-created";
  }
}
