import { AppError } from "../errors";
import type { CaddyAdmin, WriteOutcome } from "./caddy-admin";
import { sameJson, type Json } from "./caddy-route";
import { policyInsertionIndex, type CaddyPolicy } from "./caddy-tls";

const TLS_PATH = "/config/apps/tls";
const POLICIES = `${TLS_PATH}/automation/policies`;

/**
 * Wharf's TLS automation policies in Caddy, one per consumer, addressed by
 * `@id` but written by array index under If-Match on /config/apps/tls, for
 * the same reasons as routes (see caddy.ts): Caddy's /id/ lookup races
 * concurrent writers. Policies without a Wharf `@id` are the operator's and
 * are never written.
 */
export class CaddyTlsPolicies {
  constructor(private readonly admin: CaddyAdmin, private readonly maxAttempts = 10) {}

  private async read(): Promise<{ tls: Json | null; policies: CaddyPolicy[] | null; etag: string | null }> {
    const { value, etag } = await this.admin.get(TLS_PATH);
    const tls = value && typeof value === "object" ? (value as Json) : null;
    const automation = (tls?.automation ?? null) as Json | null;
    const policies = Array.isArray(automation?.policies) ? (automation.policies as CaddyPolicy[]) : null;
    return { tls, policies, etag };
  }

  /** Creates or replaces the policy with `desired["@id"]`; reads it back. True when Caddy's config changed. */
  async ensure(desired: CaddyPolicy): Promise<boolean> {
    const id = desired["@id"]!;
    let changed = false;
    await this.retry(`ensure TLS policy ${id}`, async () => {
      const { tls, policies, etag } = await this.read();
      if (!tls) return this.admin.write("PUT", TLS_PATH, { automation: { policies: [desired] } }, etag);
      if (!tls.automation) return this.admin.write("PUT", `${TLS_PATH}/automation`, { policies: [desired] }, etag);
      if (!policies) return this.admin.write("PUT", POLICIES, [desired], etag);
      const positions = policies.flatMap((p, i) => (p["@id"] === id ? [i] : []));
      if (positions.length > 1) {
        await this.admin.write("DELETE", `${POLICIES}/${positions[positions.length - 1]}`, undefined, etag);
        return "stale"; // start over with the duplicate gone
      }
      if (positions.length === 1) {
        if (sameJson(policies[positions[0]], desired)) return "done";
        changed = true;
        return this.admin.write("PATCH", `${POLICIES}/${positions[0]}`, desired, etag);
      }
      changed = true;
      const index = policyInsertionIndex(policies);
      return index === policies.length ? this.admin.write("POST", POLICIES, desired, etag) : this.admin.write("PUT", `${POLICIES}/${index}`, desired, etag);
    });
    const { policies } = await this.read();
    const found = (policies ?? []).filter((p) => p["@id"] === id);
    if (found.length !== 1 || !sameJson(found[0], desired)) {
      throw new AppError("PROVIDER_ERROR", `Caddy did not keep TLS policy ${id} as written: read back ${found.length} policy(ies) with that id`);
    }
    return changed;
  }

  /** Removes every policy with `id`; absent is success. */
  async remove(id: string): Promise<void> {
    for (let stale = 0; ; ) {
      const { policies, etag } = await this.read();
      const index = (policies ?? []).findLastIndex((p) => p["@id"] === id);
      if (index === -1) return;
      if ((await this.admin.write("DELETE", `${POLICIES}/${index}`, undefined, etag)) === "stale" && ++stale >= this.maxAttempts) {
        throw new AppError("CONFLICT", `Caddy's TLS app kept changing while Wharf removed TLS policy ${id}; try again`);
      }
    }
  }

  /**
   * Caddy retries a failed order by itself only after about a minute, or
   * when its config changes; an unchanged write is skipped ("config is
   * unchanged") unless sent with Cache-Control: must-revalidate, which forces
   * the reload that starts a fresh order at once.
   */
  async reload(id: string): Promise<string[]> {
    let subjects: string[] = [];
    await this.retry(`reload TLS policy ${id}`, async () => {
      const { policies, etag } = await this.read();
      const index = (policies ?? []).findIndex((p) => p["@id"] === id);
      if (index === -1) throw new AppError("NOT_FOUND", `Caddy has no TLS policy ${id}: push the route again`);
      subjects = policies![index].subjects ?? [];
      return this.admin.write("PATCH", `${POLICIES}/${index}`, policies![index], etag, { "cache-control": "must-revalidate" });
    });
    return subjects;
  }

  private async retry(what: string, attempt: () => Promise<WriteOutcome>): Promise<void> {
    for (let n = 1; n <= this.maxAttempts; n++) {
      if ((await attempt()) === "done") return;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * n));
    }
    throw new AppError("CONFLICT", `Caddy's TLS app kept changing while Wharf tried to ${what} (${this.maxAttempts} attempts); try again`);
  }
}
