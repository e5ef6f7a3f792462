import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { TEST_NETWORK } from "../../test/helpers/http";
import { startCloudflareDouble, type CloudflareDouble } from "../../test/doubles/cloudflare-double";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "./jobs";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { installationId } from "../secrets";

// Deploys on the real engine with DNS hooks at a provider: the Cloudflare
// double (with a foreign record pre-seeded) and the real PowerDNS.
const rand = randomBytes(3).toString("hex");
const network = TEST_NETWORK;
const TARGET = "203.0.113.30";

async function deploy(name: string, image = "wharf-test/web:v1") {
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080 } });
  await waitForJob(created.id);
  return getInstance(created.id);
}
async function cleanup() {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
}

describe("deploys with the Cloudflare double", () => {
  const zone = `cf-${rand}.test`;
  const token = `tok-${rand}`;
  let cf: CloudflareDouble;
  const foreign = { name: `shop.${zone}`, type: "A", content: "198.51.100.7", ttl: 300, comment: "made by hand" };
  const ours = () => cf.records().filter((r) => r.comment?.startsWith("wharf:"));

  beforeAll(async () => {
    cf = await startCloudflareDouble({ tokens: [token], zones: [{ id: randomBytes(16).toString("hex"), name: zone }] });
    cf.addRecord(foreign);
    await updateSettings({
      actor: SYSTEM_ACTOR,
      body: { baseDomain: zone, targetAddress: TARGET, docker: { network }, proxy: { provider: null }, dns: { mode: "managed", provider: { type: "cloudflare", apiToken: token, zoneId: cf.zones[0].id, baseUrl: cf.url } } },
      confirmDnsCleanup: true,
    });
  });
  afterAll(async () => {
    await cleanup();
    await cf.close();
  });

  it("deploy → exactly one marked A record and a synced ledger row; redeploy → no duplicate; remove → gone; the foreign record untouched", async () => {
    const inst = await deploy(`web-${rand}`);
    expect(inst.status).toBe("running");
    const fqdn = `web-${rand}.${zone}`;
    const at = () => cf.records().filter((r) => r.name === fqdn);
    expect(at()).toHaveLength(1);
    expect(at()[0]).toMatchObject({ type: "A", content: TARGET, comment: `wharf:${installationId()}:instance:${inst.id}` });
    expect(await db.dnsRecord.findUnique({ where: { fqdn } })).toMatchObject({ status: "synced", providerRecordId: at()[0].id });
    expect(inst.dns.status).toBe("synced");

    await redeployInstance({ actor: SYSTEM_ACTOR, id: inst.id, body: { image: "wharf-test/web:v2" } });
    await waitForJob(inst.id);
    expect((await getInstance(inst.id)).status).toBe("running");
    expect(at()).toHaveLength(1);

    await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
    expect(at()).toHaveLength(0);
    expect(await db.dnsRecord.findUnique({ where: { fqdn } })).toBeNull();
    expect(cf.records().find((r) => r.name === foreign.name)).toMatchObject({ content: foreign.content, comment: foreign.comment });
  });

  it("with the provider failing every call, the deploy still succeeds and the ledger shows the failure", async () => {
    cf.setFaults({ errorRate: 1, statuses: [500] });
    try {
      const inst = await deploy(`down-${rand}`);
      expect(inst.status).toBe("running");
      expect(inst.dns.status).toBe("failed");
      const row = await db.dnsRecord.findUniqueOrThrow({ where: { fqdn: `down-${rand}.${zone}` } });
      expect(row.status).toBe("failed");
      expect(row.lastError).toBeTruthy();
      expect(ours().filter((r) => r.name === `down-${rand}.${zone}`)).toHaveLength(0);
    } finally {
      cf.setFaults({ errorRate: 0 });
    }
  });
});

describe("deploys with the real PowerDNS", () => {
  const zone = `pd-${rand}.test`;
  const pdns = (method: string, p: string, body?: unknown) =>
    fetch(`http://127.0.0.1:8081/api/v1/servers/localhost${p}`, { method, headers: { "X-API-Key": "wharf-test-key", "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers(["127.0.0.1:5300"]);

  beforeAll(async () => {
    expect((await pdns("POST", "/zones", { name: `${zone}.`, kind: "Native", nameservers: [`ns1.${zone}.`] })).status).toBe(201);
    await updateSettings({
      actor: SYSTEM_ACTOR,
      body: { baseDomain: zone, targetAddress: TARGET, dns: { mode: "managed", provider: { type: "powerdns", apiUrl: "http://127.0.0.1:8081", apiKey: "wharf-test-key", zone } } },
      confirmDnsCleanup: true,
    });
  });
  afterAll(async () => {
    await cleanup();
    await pdns("DELETE", `/zones/${zone}.`);
  });

  it("the FQDN resolves through a DNS query after deploy and stops after removal", async () => {
    const inst = await deploy(`app-${rand}`);
    expect(inst.status).toBe("running");
    expect(await resolver.resolve4(`app-${rand}.${zone}`)).toEqual([TARGET]);
    await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
    await expect(resolver.resolve4(`app-${rand}.${zone}`)).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});
