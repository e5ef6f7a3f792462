import { randomBytes } from "node:crypto";
import { SYSTEM_ACTOR } from "../../lib/audit/record-event";
import { db } from "../../lib/db";
import { updateSettings } from "../../lib/configuration/update-settings";
import type { TSettingsUpdate } from "../../lib/settings/schemas";
import { startAdguardDouble } from "../doubles/adguard-double";
import { type CloudflareDoubleOptions, startCloudflareDouble } from "../doubles/cloudflare-double";
import { track } from "../doubles/dns-helpers";
import { pdns, PDNS } from "../chaos/pdns";
import { CADDY, TEST_NETWORK } from "./http";

// Shared by the DNS hook, switch and delete tests: settings pointed at a
// fresh double, consumers inserted as rows, and a clean slate between tests
// (one SQLite file serves a whole test file).

export const BASE = "example.test";
export const TARGET = "203.0.113.10";

/** Forgets settings, ledger and consumers, so each test starts in wildcard mode with nothing owned. */
export async function resetDnsState(): Promise<void> {
  await db.dnsRecord.deleteMany();
  await db.standaloneProxy.deleteMany();
  await db.instance.deleteMany();
  await db.setting.deleteMany();
  await db.auditEvent.deleteMany();
}

export function settings(body: TSettingsUpdate, confirmDnsCleanup = false) {
  return updateSettings({ actor: SYSTEM_ACTOR, body, confirmDnsCleanup });
}

/** A Cloudflare double (fresh token: request budgets are per token) and its provider config. */
export async function cloudflare(opts: CloudflareDoubleOptions = {}) {
  const token = `tok-${randomBytes(8).toString("hex")}`;
  const cf = track(await startCloudflareDouble({ tokens: [token], zones: [{ id: randomBytes(16).toString("hex"), name: BASE }], ...opts }));
  const provider = { type: "cloudflare" as const, apiToken: token, zoneId: cf.zones[0].id, baseUrl: cf.url };
  return { cf, token, provider };
}

export async function adguard(rewrites: { domain: string; answer: string }[] = []) {
  const ag = track(await startAdguardDouble({ rewrites }));
  const provider = { type: "adguard" as const, url: ag.url, username: ag.username, password: ag.password };
  return { ag, provider };
}

/** Managed mode at `provider`, base domain example.test, target 203.0.113.10. */
export function managed(provider: NonNullable<NonNullable<TSettingsUpdate["dns"]>["provider"]>, confirmDnsCleanup = false) {
  return settings({ baseDomain: BASE, targetAddress: TARGET, dns: { mode: "managed", provider } }, confirmDnsCleanup);
}

export async function insertProxy(domain: string) {
  return db.standaloneProxy.create({ data: { domain, upstream: "http://127.0.0.1:9" } });
}

export async function insertInstance(name: string, status = "running") {
  return db.instance.create({ data: { name, subdomain: name, image: "example/app:1", port: 8080, status } });
}

/**
 * A fresh zone at the shared test PowerDNS, and managed mode at it with the
 * shared Caddy as the proxy on the test network (the concurrency and chaos
 * runs, which deploy real containers).
 */
export async function managedPowerDnsWithCaddy(zone: string, targetAddress: string): Promise<void> {
  const created = await pdns("POST", "/zones", { name: `${zone}.`, kind: "Native", nameservers: [`ns1.${zone}.`] });
  if (created.status !== 201) throw new Error(`PowerDNS refused zone ${zone}: ${created.status} ${await created.text()}`);
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: zone,
      targetAddress,
      docker: { network: TEST_NETWORK },
      dns: { mode: "managed", provider: { type: "powerdns", apiUrl: PDNS.api, apiKey: PDNS.key, zone, serverId: "localhost" } },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
    },
  });
}

export const ledger = () => db.dnsRecord.findMany({ orderBy: { fqdn: "asc" } });
