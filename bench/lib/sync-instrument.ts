// Instruments one sync against the Cloudflare double: where its wall time
// goes, and which requests it made (as the double logged them).
import type { CloudflareProvider } from "../../lib/dns/cloudflare";
import { getDnsProvider } from "../../lib/dns/provider-for-settings";
import { getSettings } from "../../lib/settings/get-settings";

export interface Timing {
  /** provider.listRecords: the reconciler's own listing. */
  listMs: number;
  /** provider.applyChanges in all, and the part of it spent waiting on API calls. */
  applyMs: number;
  applyApiMs: number;
  /** Every API call (budget wait + HTTP + JSON). */
  apiMs: number;
  /** fetch() calls made and those that failed before an HTTP answer (they never reach the double's log). */
  fetches: number;
  fetchErrors: string[];
}

/** Times the provider's API calls and phases for one sync by wrapping the cached provider instance runSync will use. */
export async function instrument(): Promise<{ timing: Timing; restore: () => void }> {
  const provider = getDnsProvider(await getSettings()) as CloudflareProvider;
  const timing: Timing = { listMs: 0, applyMs: 0, applyApiMs: 0, apiMs: 0, fetches: 0, fetchErrors: [] };
  const api = provider.api;
  const [call, listRecords, applyChanges, fetch0] = [api.call, provider.listRecords, provider.applyChanges, globalThis.fetch];
  let inApply = false;
  const timed = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, self: unknown, add: (ms: number) => void, around?: (on: boolean) => void) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      around?.(true);
      try {
        return await fn.apply(self, a);
      } finally {
        around?.(false);
        add(performance.now() - t);
      }
    };
  api.call = timed(call, api, (t) => {
    timing.apiMs += t;
    if (inApply) timing.applyApiMs += t;
  }) as typeof api.call;
  provider.listRecords = timed(listRecords, provider, (t) => (timing.listMs += t));
  provider.applyChanges = timed(applyChanges, provider, (t) => (timing.applyMs += t), (on) => (inApply = on));
  // The Cloudflare client calls the global fetch: count attempts and transport failures (which the double never logs).
  globalThis.fetch = (async (...a: Parameters<typeof fetch>) => {
    timing.fetches++;
    try {
      return await fetch0(...a);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      timing.fetchErrors.push(`${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`);
      throw err;
    }
  }) as typeof fetch;
  return {
    timing,
    restore: () => {
      api.call = call;
      provider.listRecords = listRecords;
      provider.applyChanges = applyChanges;
      globalThis.fetch = fetch0;
    },
  };
}

export function kindOf(r: { method: string; path: string; query: Record<string, string> }): string {
  if (r.method === "GET" && /\/dns_records$/.test(r.path)) return r.query["name.exact"] || r.query.name ? "lookup" : "list";
  if (r.method === "GET" && /\/dns_records\/[0-9a-f]+$/.test(r.path)) return "get";
  if (r.method === "POST" && /\/dns_records$/.test(r.path)) return "create";
  if (r.method === "POST" && /\/dns_records\/batch$/.test(r.path)) return "batch";
  if (r.method === "GET" && /\/zones\/[^/]+$/.test(r.path)) return "zone";
  return `${r.method} ${r.path.replace(/[0-9a-f]{32}/g, ":id")}`;
}
