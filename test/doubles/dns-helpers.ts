import { randomBytes } from "node:crypto";
import { recordMarker } from "../../lib/naming";
import { installationId } from "../../lib/secrets";
import { CloudflareProvider } from "../../lib/dns/cloudflare";
import type { CloudflareOptions } from "../../lib/dns/cloudflare-client";
import type { DesiredRecord } from "../../lib/dns/types";
import { type CloudflareDouble, type CloudflareDoubleOptions, startCloudflareDouble } from "./cloudflare-double";

// Shared by the DNS provider tests: a double plus a provider pointed at it,
// and a terse way to write a desired record.

export const MARK = recordMarker(installationId(), "instance", "ckinst0001");
/** Retries without real waiting, so tests exercise the paths and stay quick. */
export const FAST_RETRY = { baseDelayMs: 2, maxDelayMs: 20 };

const open: { close(): Promise<void> }[] = [];

export async function closeDoubles(): Promise<void> {
  await Promise.all(open.splice(0).map((d) => d.close()));
}

export function track<T extends { close(): Promise<void> }>(double: T): T {
  open.push(double);
  return double;
}

export async function setupCloudflare(dbl: CloudflareDoubleOptions = {}, opts: CloudflareOptions = {}) {
  const token = `tok-${randomBytes(8).toString("hex")}`; // a fresh token per test: request budgets are per token
  const cf = track(await startCloudflareDouble({ tokens: [token], ...dbl }));
  const provider = new CloudflareProvider({ type: "cloudflare", apiToken: token, zoneId: cf.zones[0].id, baseUrl: cf.url }, { retry: FAST_RETRY, ...opts });
  return { cf, provider, token };
}

export function want(fqdn: string, content: string, extra: Partial<DesiredRecord> = {}): DesiredRecord {
  const type = content.includes(":") ? "AAAA" : /^[\d.]+$/.test(content) ? "A" : "CNAME";
  return { fqdn, type, content, ttl: 300, marker: MARK, ...extra };
}

export const writesTo = (dbl: { requests: { method: string }[] }) => dbl.requests.filter((r) => r.method !== "GET");

export type { CloudflareDouble };
