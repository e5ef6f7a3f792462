import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeDoubles } from "../../test/doubles/dns-helpers";
import { adguard, BASE, cloudflare, insertProxy, ledger, managed, resetDnsState, settings, TARGET } from "../../test/helpers/dns-fixtures";
import { db } from "../db";
import { AppError } from "../errors";
import { getSettings } from "../settings/get-settings";
import { defaultSettings } from "../settings/defaults";
import type { TSettings } from "../settings/schemas";
import { ensureConsumerDns } from "./hooks";
import { cleanupRequiredBy, dnsMoveReason, dnsTargetIsNew } from "./plan-provider-switch";

beforeEach(resetDnsState);
afterEach(closeDoubles);

const pdns = { type: "powerdns" as const, apiUrl: "http://127.0.0.1:8081", apiKey: "k", zone: "example.test", serverId: "localhost" };
const dnsOf = (mode: "wildcard" | "managed", provider: TSettings["dns"]["provider"]): Pick<TSettings, "dns"> => ({ dns: { ...defaultSettings().dns, mode, provider } });
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a rejection"); }, (e: unknown) => e as AppError);
const audit = async () => (await db.auditEvent.findMany({ orderBy: { createdAt: "asc" } })).map((e) => `${e.action} ${e.result}`);

/** Managed Cloudflare with two proxies whose records are synced. */
async function ownedAtCloudflare() {
  const { cf, provider } = await cloudflare();
  await managed(provider);
  cf.addRecord({ name: `hand.${BASE}`, type: "A", content: "198.51.100.1", ttl: 300 });
  for (const label of ["web", "api"]) {
    const p = await insertProxy(`${label}.${BASE}`);
    expect(await ensureConsumerDns({ consumer: { type: "standalone", id: p.id }, fqdn: p.domain })).toEqual({ status: "synced" });
  }
  await db.auditEvent.deleteMany();
  return { cf, provider };
}

describe("dnsMoveReason (pure)", () => {
  it("names a move away from where records are kept, and ignores everything else", () => {
    expect(dnsMoveReason(dnsOf("managed", pdns), dnsOf("wildcard", pdns))).toBe("leaving managed DNS mode");
    expect(dnsMoveReason(dnsOf("managed", pdns), dnsOf("managed", { type: "adguard", url: "http://h", username: "u", password: "p" }))).toMatch(/from powerdns to adguard/);
    expect(dnsMoveReason(dnsOf("managed", pdns), dnsOf("managed", { ...pdns, zone: "other.test" }))).toMatch(/another/);
    expect(dnsMoveReason(dnsOf("managed", pdns), dnsOf("managed", { ...pdns, apiKey: "rotated", apiUrl: "http://127.0.0.1:8081/" }))).toBeNull();
    expect(dnsMoveReason(dnsOf("wildcard", pdns), dnsOf("managed", { ...pdns, zone: "other.test" }))).toBeNull();
    expect(dnsTargetIsNew(dnsOf("wildcard", pdns), dnsOf("managed", pdns))).toBe(true);
    expect(dnsTargetIsNew(dnsOf("managed", pdns), dnsOf("managed", { ...pdns, apiKey: "rotated" }))).toBe(false);
  });
});

describe("updateSettings with owned DNS records", () => {
  it("refuses to leave managed mode without confirmation, listing the records, and changes nothing", async () => {
    const { cf } = await ownedAtCloudflare();
    const err = await caught(settings({ dns: { mode: "wildcard" } }));
    expect(err.code).toBe("CONFLICT");
    expect(err.status).toBe(409);
    expect(err.message).toContain("2 records");
    expect(err.message).toContain(`api.${BASE}, web.${BASE}`);
    expect(cleanupRequiredBy(err)).toMatchObject({ count: 2, provider: "cloudflare", zone: BASE, records: [{ fqdn: `api.${BASE}` }, { fqdn: `web.${BASE}` }] });
    expect((await getSettings()).dns.mode).toBe("managed");
    expect(cf.records()).toHaveLength(3);
    expect((await ledger()).map((r) => r.status)).toEqual(["synced", "synced"]);
  });

  it("with confirmation removes the records at the old provider first, then saves; foreign records stay", async () => {
    const { cf } = await ownedAtCloudflare();
    const next = await settings({ dns: { mode: "wildcard" } }, true);
    expect(next.dns.mode).toBe("wildcard");
    expect((await getSettings()).dns.mode).toBe("wildcard");
    expect(cf.records().map((r) => r.name)).toEqual([`hand.${BASE}`]);
    expect(await ledger()).toEqual([]);
    expect(await audit()).toEqual(["dns.cleanup ok", "settings.update ok"]);
  });

  it("switching provider removes at the old one, then creates the consumers' records at the new one", async () => {
    const { cf } = await ownedAtCloudflare();
    const { ag, provider } = await adguard();
    await expect(managed(provider)).rejects.toMatchObject({ code: "CONFLICT" });
    await managed(provider, true);
    expect(cf.records().map((r) => r.name)).toEqual([`hand.${BASE}`]);
    expect(ag.rewrites().map((r) => `${r.domain} ${r.answer}`).sort()).toEqual([`api.${BASE} ${TARGET}`, `web.${BASE} ${TARGET}`]);
    expect((await ledger()).map((r) => [r.fqdn, r.provider, r.status])).toEqual([
      [`api.${BASE}`, "adguard", "synced"],
      [`web.${BASE}`, "adguard", "synced"],
    ]);
  });

  it("keeps the old settings and the rows (failed, with the provider's error) when the old provider cannot delete", async () => {
    const { cf } = await ownedAtCloudflare();
    cf.setFaults({ errorRate: 1, statuses: [500] });
    const err = await caught(settings({ dns: { mode: "wildcard" } }, true));
    expect(err.code).toBe("PROVIDER_ERROR");
    expect(err.message).toMatch(/Could not remove 2 of 2 records from cloudflare.*Internal server error/);
    expect((await getSettings()).dns.mode).toBe("managed");
    expect((await ledger()).map((r) => [r.status, r.lastError])).toEqual([
      ["failed", "Internal server error"],
      ["failed", "Internal server error"],
    ]);
    expect(await audit()).toEqual(["dns.cleanup error", "settings.update error"]);
  }, 60_000);

  it("needs no confirmation for a change that keeps records where they are (a rotated token, a TTL)", async () => {
    const { cf, provider } = await ownedAtCloudflare();
    await settings({ dns: { ttl: 600, provider: { ...provider, apiToken: provider.apiToken } } });
    expect((await getSettings()).dns.ttl).toBe(600);
    expect(cf.records()).toHaveLength(3);
  });
});
