import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeDoubles } from "../../test/doubles/dns-helpers";
import type { CloudflareDouble } from "../../test/doubles/cloudflare-double";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { BASE, cloudflare, insertInstance, insertProxy, ledger, managed, resetDnsState, TARGET } from "../../test/helpers/dns-fixtures";
import { db } from "../db";
import { setRuntimeForTests } from "../docker";
import { removeConsumerDns } from "../dns/hooks";
import { AppError } from "../errors";
import { runSync } from "./run-sync";
import { verifyCronSecret } from "./cron-auth";
import { appSecrets, installationId } from "../secrets";
import { ConsumerLease } from "../consumers/consumer-lease";

let runtime = fakeRuntime();
beforeEach(async () => {
  await resetDnsState();
  await db.lease.deleteMany();
  runtime = fakeRuntime();
  setRuntimeForTests(runtime);
});
afterEach(async () => {
  setRuntimeForTests(null);
  await closeDoubles();
});

const FOREIGN = { name: `shop.${BASE}`, type: "A", content: "198.51.100.7", ttl: 300, comment: "not ours" };
const ours = (cf: CloudflareDouble) => cf.records().filter((r) => r.comment?.startsWith("wharf:"));
const names = (cf: CloudflareDouble) => ours(cf).map((r) => r.name).sort();

async function zone(consumers: number) {
  const { cf, provider, token } = await cloudflare();
  cf.addRecord(FOREIGN);
  await managed(provider);
  const fqdns: string[] = [];
  for (let i = 0; i < consumers; i++) {
    if (i % 2) await insertProxy(`p${i}.${BASE}`).then(() => fqdns.push(`p${i}.${BASE}`));
    else {
      // A running instance needs its container, or the reconciler (rightly) marks it failed.
      const inst = await insertInstance(`i${i}`);
      await db.instance.update({ where: { id: inst.id }, data: { containerId: `c-${inst.id}` } });
      runtime.containers.push({ id: `c-${inst.id}`, name: `wharf-i${i}`, image: "example/app:1", state: "running", health: null, exitCode: null, labels: { "wharf.managed": "true", "wharf.instance": inst.id }, publishedPort: 30000 + i, startedAt: null, error: null });
      fqdns.push(`i${i}.${BASE}`);
    }
  }
  // As the dashboard would: a DELETE through the API, behind Wharf's back.
  const deleteBehindBack = (id: string) =>
    fetch(`${cf.url}/zones/${cf.zones[0].id}/dns_records/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } }).then((r) => expect(r.status).toBe(200));
  return { cf, token, fqdns: fqdns.sort(), deleteBehindBack };
}

describe("DNS reconciliation against the Cloudflare double", () => {
  it("creates what is missing, then is a no-op; the foreign record is never touched", async () => {
    const { cf, fqdns } = await zone(6);
    const first = await runSync({ trigger: "manual" });
    expect(first).toMatchObject({ created: 6, updated: 0, deleted: 0, failed: 0, dryRun: false });
    expect(names(cf)).toEqual(fqdns);
    expect((await ledger()).every((r) => r.status === "synced" && r.providerRecordId && r.verifiedAt)).toBe(true);
    const second = await runSync({ trigger: "manual" });
    expect(second).toMatchObject({ created: 0, updated: 0, deleted: 0, alreadySynced: 6 });
    expect(cf.records().find((r) => r.name === FOREIGN.name)).toMatchObject({ content: FOREIGN.content, comment: "not ours" });
    // (The first stored run is the DNS pass that switching to managed mode triggers.)
    const runs = (await db.syncRun.findMany({ orderBy: { startedAt: "asc" } })).slice(-2);
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    expect(runs[0].apiCalls).toBeGreaterThan(0);
  });

  it("re-creates a record deleted behind Wharf's back (report created: 1)", async () => {
    const { cf, deleteBehindBack } = await zone(3);
    await runSync({ trigger: "manual" });
    await deleteBehindBack(ours(cf)[0].id);
    expect(ours(cf)).toHaveLength(2);
    const report = await runSync({ trigger: "manual" });
    expect(report.created).toBe(1);
    expect(ours(cf)).toHaveLength(3);
  });

  it("updates records when the target address changes", async () => {
    const { cf } = await zone(2);
    await runSync({ trigger: "manual" });
    await db.setting.update({ where: { key: "settings" }, data: { value: (await db.setting.findFirstOrThrow()).value.replace(TARGET, "203.0.113.99") } });
    const report = await runSync({ trigger: "manual" });
    expect(report.updated).toBe(2);
    expect(ours(cf).map((r) => r.content)).toEqual(["203.0.113.99", "203.0.113.99"]);
  });

  it("converges in one sync when the target changes from an address to a hostname: every name has exactly its CNAME", async () => {
    const { cf, fqdns } = await zone(4);
    await runSync({ trigger: "manual" });
    await db.setting.update({ where: { key: "settings" }, data: { value: (await db.setting.findFirstOrThrow()).value.replace(TARGET, "edge.example.com") } });
    const report = await runSync({ trigger: "manual" });
    expect(report).toMatchObject({ failed: 0 });
    for (const fqdn of fqdns) expect(cf.records().filter((r) => r.name === fqdn)).toMatchObject([{ type: "CNAME", content: "edge.example.com" }]);
    const rows = await ledger();
    expect(rows.every((r) => r.type === "CNAME" && r.status === "synced" && r.content === "edge.example.com")).toBe(true);
    expect(rows.map((r) => r.providerRecordId).sort()).toEqual(ours(cf).map((r) => r.id).sort());
    expect((await runSync({ trigger: "manual" })).alreadySynced).toBe(4);
  });

  it("cleans a duplicate and keeps the right record, with the ledger pointing at it", async () => {
    const { cf } = await zone(2);
    await runSync({ trigger: "manual" });
    const kept = ours(cf)[0];
    const dup = cf.addRecord({ name: kept.name, type: "A", content: "203.0.113.77", ttl: 300, comment: kept.comment });
    const report = await runSync({ trigger: "manual" });
    expect(report).toMatchObject({ failed: 0 });
    expect(cf.records().filter((r) => r.name === kept.name).map((r) => r.id)).toEqual([kept.id]);
    expect(cf.records().some((r) => r.id === dup.id)).toBe(false);
    expect((await ledger()).find((r) => r.fqdn === kept.name)).toMatchObject({ status: "synced", providerRecordId: kept.id, content: TARGET });
  });

  it("rewrites markers written before installation ids on the records in its ledger", async () => {
    const { cf, token } = await zone(3);
    await runSync({ trigger: "manual" });
    // As an older Wharf left them: `wharf:<type>:<id>`, no installation id.
    for (const r of ours(cf)) {
      const legacy = r.comment!.replace(/^wharf:[^:]+:/, "wharf:");
      const res = await fetch(`${cf.url}/zones/${cf.zones[0].id}/dns_records/${r.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ comment: legacy }),
      });
      expect(res.status).toBe(200);
    }
    expect(cf.records().filter((r) => /^wharf:(instance|standalone):/.test(r.comment ?? ""))).toHaveLength(3);
    const report = await runSync({ trigger: "manual" });
    expect(report).toMatchObject({ updated: 3, failed: 0, foreign: 0 });
    expect(ours(cf).every((r) => r.comment!.startsWith(`wharf:${installationId()}:`))).toBe(true);
    expect((await runSync({ trigger: "manual" })).alreadySynced).toBe(3);
  });

  it("deletes the record of a consumer removed while the provider was failing", async () => {
    const { cf } = await zone(2);
    await runSync({ trigger: "manual" });
    const proxy = await db.standaloneProxy.findFirstOrThrow();
    cf.setFaults({ errorRate: 1, statuses: [500] });
    const res = await removeConsumerDns({ consumer: { type: "standalone", id: proxy.id } });
    expect(res.status).toBe("failed");
    await db.standaloneProxy.delete({ where: { id: proxy.id } });
    expect((await ledger()).find((r) => r.fqdn === proxy.domain)?.status).toBe("failed");
    cf.setFaults({ errorRate: 0 });
    const report = await runSync({ trigger: "manual" });
    expect(report.deleted).toBe(1);
    expect(names(cf)).not.toContain(proxy.domain);
    expect((await ledger()).map((r) => r.fqdn)).not.toContain(proxy.domain);
  });

  it("a dry run shows the plan and changes nothing", async () => {
    const { cf } = await zone(4);
    const writesBefore = cf.requests.filter((r) => r.method !== "GET").length;
    const report = await runSync({ trigger: "manual", dryRun: true });
    expect(report).toMatchObject({ dryRun: true, created: 4 });
    expect(report.lines.filter((l) => l.action === "create" && l.status === "planned")).toHaveLength(4);
    expect(cf.requests.filter((r) => r.method !== "GET").length).toBe(writesBefore);
    expect(ours(cf)).toHaveLength(0);
    expect(await ledger()).toHaveLength(0);
  });

  it("refuses a large delete unless forced", async () => {
    const { cf } = await zone(30);
    await runSync({ trigger: "manual" });
    await db.standaloneProxy.deleteMany();
    const blocked = await runSync({ trigger: "manual" });
    expect(blocked.deleted).toBe(0);
    expect(blocked.blocked).toMatch(/force/);
    expect(ours(cf)).toHaveLength(30);
    const forced = await runSync({ trigger: "manual", force: true });
    expect(forced.deleted).toBe(15);
    expect(ours(cf)).toHaveLength(15);
  });

  it("runs one sync at a time: a concurrent one gets SYNC_IN_PROGRESS with the running id", async () => {
    await zone(3);
    const results = await Promise.allSettled([runSync({ trigger: "manual" }), runSync({ trigger: "cron" })]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const err = refused[0].reason as AppError;
    expect(err.code).toBe("SYNC_IN_PROGRESS");
    expect(err.status).toBe(409);
    expect(err.details?.syncId).toBe((ok[0] as PromiseFulfilledResult<{ id: string }>).value.id);
  });

  it("converges within five runs with 30% 5xx/429 and lying deletes; the ledger then equals the provider", async () => {
    const { cf, fqdns } = await zone(20);
    await runSync({ trigger: "manual" });
    // Half the consumers go away and the target changes, then the provider turns unreliable.
    const gone = await db.standaloneProxy.findMany({ take: 5 });
    await db.standaloneProxy.deleteMany({ where: { id: { in: gone.map((g) => g.id) } } });
    // ...and a duplicate of one record appears with wrong content.
    const i0 = ours(cf).find((r) => r.name === `i0.${BASE}`)!;
    cf.addRecord({ name: i0.name, type: "A", content: "192.0.2.66", ttl: 300, comment: i0.comment });
    cf.setFaults({ errorRate: 0.3, statuses: [500, 502, 429], retryAfterSec: 0, lyingDeleteRate: 0.5, appliedShare: 0.5, seed: 7 });
    const want = fqdns.filter((f) => !gone.some((g) => g.domain === f));
    let runs = 0;
    for (; runs < 5; runs++) {
      await runSync({ trigger: "manual" }).catch(() => undefined);
      const have = ours(cf).map((r) => `${r.name} ${r.content}`).sort();
      if (have.length === want.length && have.every((h, i) => h === `${want[i]} ${TARGET}`)) break;
    }
    expect(runs).toBeLessThan(5);
    cf.setFaults({ errorRate: 0 });
    const l = await ledger();
    expect(l.map((r) => r.fqdn)).toEqual(want);
    expect(l.every((r) => r.status === "synced")).toBe(true);
    expect(l.map((r) => r.providerRecordId).sort()).toEqual(ours(cf).map((r) => r.id).sort());
    expect(cf.records().find((r) => r.name === FOREIGN.name)?.content).toBe(FOREIGN.content);
  });
});

describe("one writer per consumer (SPEC §13)", () => {
  it("leaves a consumer another operation holds alone and reports it; the next run picks it up", async () => {
    const { cf, fqdns } = await zone(4);
    const busy = await db.instance.findFirstOrThrow({ where: { name: "i0" } });
    const lease = await ConsumerLease.tryAcquire({ type: "instance", id: busy.id }, "redeploy");
    if (!(lease instanceof ConsumerLease)) throw new Error("lease not taken");
    const first = await runSync({ trigger: "manual" });
    expect(first.created).toBe(3);
    expect(first.skipped).toEqual(expect.arrayContaining([{ consumer: `instance:${busy.id}`, name: `instance:${busy.id}`, reason: "busy: redeploy" }, { consumer: `instance:${busy.id}`, name: "i0", reason: "busy: redeploy" }]));
    expect(names(cf)).toEqual(fqdns.filter((f) => !f.startsWith("i0.")));
    await lease.release();
    const second = await runSync({ trigger: "manual" });
    expect(second).toMatchObject({ created: 1, skipped: [] });
    expect(names(cf)).toEqual(fqdns);
  });

  it("never deletes the record of an instance whose deploy died half-way, nor a busy consumer's", async () => {
    const { cf, fqdns } = await zone(2);
    await runSync({ trigger: "manual" });
    const inst = await db.instance.findFirstOrThrow({ where: { name: "i0" } });
    await db.instance.update({ where: { id: inst.id }, data: { status: "deploying" } });
    const report = await runSync({ trigger: "manual" });
    expect(report.deleted).toBe(0);
    expect(names(cf)).toEqual(fqdns);
  });

  it("closes a sync run left running by a dead process as interrupted", async () => {
    await zone(1);
    await db.syncRun.create({ data: { id: "dead-run", trigger: "scheduler" } });
    await runSync({ trigger: "manual" });
    expect(await db.syncRun.findUniqueOrThrow({ where: { id: "dead-run" } })).toMatchObject({ status: "interrupted", error: expect.stringMatching(/interrupted/) });
    expect(await db.lease.findMany({ where: { name: "sync" } })).toEqual([]);
  });
});

describe("cron secret", () => {
  it("accepts only the exact bearer secret", () => {
    const s = appSecrets().cronSecret;
    expect(verifyCronSecret(`Bearer ${s}`)).toBe(true);
    expect(verifyCronSecret(`bearer ${s}`)).toBe(true);
    expect(verifyCronSecret(`Bearer ${s}x`)).toBe(false);
    expect(verifyCronSecret(s)).toBe(false);
    expect(verifyCronSecret(null)).toBe(false);
  });
});

