import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertProxy, ledger, settings } from "../../test/helpers/dns-fixtures";
import { ensureConsumerDns, removeConsumerDns } from "./hooks";
import { installationId } from "../secrets";

// The hooks end to end against the real PowerDNS of test/services/start.sh:
// a throw-away zone, and every claim checked by asking PowerDNS over DNS.

const API = "http://127.0.0.1:8081";
const KEY = "wharf-test-key";
const ZONE = `wharf-it-${randomBytes(4).toString("hex")}.test`;
const TARGET = "203.0.113.10";

const pdns = (method: string, p: string, body?: unknown) =>
  fetch(`${API}/api/v1/servers/localhost${p}`, {
    method,
    headers: { "X-API-Key": KEY, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const resolver = new Resolver({ timeout: 2_000, tries: 2 });
resolver.setServers(["127.0.0.1:5300"]);
const resolveA = (fqdn: string) => resolver.resolve4(fqdn).catch((err: NodeJS.ErrnoException) => err.code ?? "error");

beforeAll(async () => {
  const up = await pdns("GET", "").then((r) => r.ok).catch(() => false);
  if (!up) execFileSync("bash", [path.resolve(import.meta.dirname, "../../test/services/start.sh")], { stdio: "inherit" });
  expect((await pdns("POST", "/zones", { name: `${ZONE}.`, kind: "Native", nameservers: [`ns1.${ZONE}.`] })).status).toBe(201);
  await settings({
    baseDomain: ZONE,
    targetAddress: TARGET,
    dns: { mode: "managed", provider: { type: "powerdns", apiUrl: API, apiKey: KEY, zone: ZONE, serverId: "localhost" } },
  });
});

afterAll(async () => {
  await pdns("DELETE", `/zones/${ZONE}.`);
});

describe("DNS hooks with real PowerDNS", () => {
  it("ensure makes the name resolve; remove makes it stop", async () => {
    const fqdn = `web.${ZONE}`;
    const proxy = await insertProxy(fqdn);
    const consumer = { type: "standalone" as const, id: proxy.id };

    expect(await ensureConsumerDns({ consumer, fqdn })).toEqual({ status: "synced" });
    expect(await resolveA(fqdn)).toEqual([TARGET]);
    expect(await ledger()).toMatchObject([{ fqdn, status: "synced", provider: "powerdns", zone: ZONE, providerRecordId: `${fqdn}|A` }]);
    const rrsets = (await (await pdns("GET", `/zones/${ZONE}.?rrset_name=${fqdn}.`)).json()).rrsets;
    expect(rrsets).toMatchObject([{ type: "A", comments: [{ content: `wharf:${installationId()}:standalone:${proxy.id}` }] }]);

    expect(await removeConsumerDns({ consumer })).toEqual({ status: "removed" });
    expect(await resolveA(fqdn)).toBe("ENOTFOUND");
    expect(await ledger()).toEqual([]);
  });

  it("leaves an rrset Wharf did not create serving, and forgets its claim on removal", async () => {
    const fqdn = `hand.${ZONE}`;
    const patch = await pdns("PATCH", `/zones/${ZONE}.`, {
      rrsets: [{ name: `${fqdn}.`, type: "A", ttl: 60, changetype: "REPLACE", records: [{ content: "198.51.100.7", disabled: false }] }],
    });
    expect(patch.status).toBe(204);
    const proxy = await insertProxy(fqdn);
    const consumer = { type: "standalone" as const, id: proxy.id };
    expect(await ensureConsumerDns({ consumer, fqdn })).toMatchObject({ status: "failed", code: "FOREIGN_RESOURCE" });
    expect(await ledger()).toMatchObject([{ fqdn, status: "failed" }]);
    expect(await removeConsumerDns({ consumer })).toEqual({ status: "removed" });
    expect(await ledger()).toEqual([]);
    expect(await resolveA(fqdn)).toEqual(["198.51.100.7"]);
  });
});
