import { afterEach, describe, expect, it } from "vitest";
import { type AdguardDouble, startAdguardDouble } from "../../test/doubles/adguard-double";
import { FAST_RETRY, closeDoubles, track, want, writesTo } from "../../test/doubles/dns-helpers";
import { AppError } from "../errors";
import { AdguardProvider } from "./adguard";

afterEach(closeDoubles);

async function setup(rewrites: { domain: string; answer: string; enabled?: boolean }[] = [], password?: string) {
  const ag = track(await startAdguardDouble({ rewrites }));
  const provider = new AdguardProvider({ type: "adguard", url: ag.url, username: ag.username, password: password ?? ag.password }, { retry: FAST_RETRY });
  return { ag, provider };
}

const entries = (ag: AdguardDouble) => ag.rewrites().map((r) => `${r.domain} ${r.answer}`).sort();

describe("AdguardProvider.ensureRecord", () => {
  it("adds the rewrite, reads it back, and adds nothing on a second call", async () => {
    const { ag, provider } = await setup();
    const rec = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    expect(rec).toEqual({ id: "app.example.test|192.0.2.10", fqdn: "app.example.test", type: "A", content: "192.0.2.10", marker: null });
    const writes = writesTo(ag).length;
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    expect(writesTo(ag)).toHaveLength(writes);
    expect(entries(ag)).toEqual(["app.example.test 192.0.2.10"]);
  });

  it("retargets an existing rewrite in place through the update endpoint", async () => {
    const { ag, provider } = await setup([{ domain: "app.example.test", answer: "192.0.2.10" }]);
    await provider.ensureRecord(want("app.example.test", "192.0.2.20"));
    expect(entries(ag)).toEqual(["app.example.test 192.0.2.20"]);
    expect(ag.requests.filter((r) => r.method === "PUT" && r.path === "/control/rewrite/update")).toHaveLength(1);
  });

  it("removes duplicates, exact copies and spellings that differ only in case", async () => {
    const { ag, provider } = await setup([
      { domain: "app.example.test", answer: "192.0.2.10" },
      { domain: "app.example.test", answer: "192.0.2.10" },
      { domain: "App.Example.TEST", answer: "192.0.2.10" },
      { domain: "app.example.test", answer: "192.0.2.99" },
      { domain: "app.example.test", answer: "2001:db8::1" },
    ]);
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    // Only A rewrites are in play: the AAAA one is a different record type.
    expect(entries(ag)).toEqual(["app.example.test 192.0.2.10", "app.example.test 2001:db8::1"]);
  });

  it("keeps the type of a rewrite consistent with its answer", async () => {
    const { ag, provider } = await setup();
    await expect(provider.ensureRecord(want("app.example.test", "edge.example.com", { type: "A" }))).rejects.toMatchObject({ code: "VALIDATION" });
    const cname = await provider.ensureRecord(want("www.example.test", "edge.example.com"));
    const aaaa = await provider.ensureRecord(want("v6.example.test", "2001:db8::10"));
    expect([cname.type, aaaa.type]).toEqual(["CNAME", "AAAA"]);
    expect(entries(ag)).toEqual(["v6.example.test 2001:db8::10", "www.example.test edge.example.com"]);
  });

  it("converges despite injected 5xx, including adds that went through before the error", async () => {
    const { ag, provider } = await setup();
    ag.setFaults({ errorRate: 0.3, statuses: [500, 502, 503], appliedShare: 0.5, seed: 1 });
    for (let i = 0; i < 6; i++) await provider.ensureRecord(want(`h${i}.example.test`, `192.0.2.${i}`));
    ag.setFaults({ errorRate: 0 });
    expect(entries(ag)).toEqual(Array.from({ length: 6 }, (_, i) => `h${i}.example.test 192.0.2.${i}`));
    expect(ag.requests.some((r) => r.fault === "applied" && r.path === "/control/rewrite/add")).toBe(true);
  });
});

describe("AdguardProvider.deleteRecord", () => {
  it("deletes, confirms by reading back, and succeeds again when nothing is left", async () => {
    const { ag, provider } = await setup([{ domain: "keep.example.test", answer: "198.51.100.1" }]);
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A", content: "192.0.2.10" });
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A", content: "192.0.2.10" });
    expect(entries(ag)).toEqual(["keep.example.test 198.51.100.1"]);
  });

  it("sends the stored spelling, since AdGuard Home matches by exact string", async () => {
    const { ag, provider } = await setup([{ domain: "App.Example.test", answer: "192.0.2.10" }]);
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A", id: "App.Example.test|192.0.2.10" });
    expect(entries(ag)).toEqual([]);
  });

  it("ends with the rewrite gone when deletes answer 200 without deleting", async () => {
    const { ag, provider } = await setup();
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    ag.setFaults({ lyingDeleteRate: 0.5, seed: 7 }); // seed 7: the first two deletes lie
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A", content: "192.0.2.10" });
    expect(entries(ag)).toEqual([]);
    expect(ag.requests.filter((r) => r.fault === "lie").length).toBeGreaterThan(0);
  });

  it("gives up with PROVIDER_ERROR when every delete lies", async () => {
    const { ag, provider } = await setup([{ domain: "app.example.test", answer: "192.0.2.10" }]);
    ag.setFaults({ lyingDeleteRate: 1 });
    const err = await provider.deleteRecord({ fqdn: "app.example.test", type: "A" }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.message).toMatch(/still disagrees/);
    expect(ag.requests.filter((r) => r.path === "/control/rewrite/delete")).toHaveLength(5);
  });
});

describe("AdguardProvider connection and zones", () => {
  it("reports success and the version", async () => {
    const { provider } = await setup();
    expect(await provider.testConnection()).toEqual({ ok: true, message: "Connected to AdGuard Home v0.107.99" });
    expect(await provider.listZones()).toEqual([{ id: "adguard", name: "(rewrites)" }]);
  });

  it("surfaces AdGuard Home's own answer to bad credentials, without retrying writes", async () => {
    const { ag, provider } = await setup([], "wrong-password");
    expect(await provider.testConnection()).toEqual({ ok: false, message: "Unauthorized" });
    await expect(provider.ensureRecord(want("app.example.test", "192.0.2.10"))).rejects.toMatchObject({ code: "PROVIDER_ERROR", message: "Unauthorized" });
    expect(ag.requests.every((r) => r.status === 401)).toBe(true);
  });

  it("the double refuses a body that is not JSON with 415, as AdGuard Home does", async () => {
    const { ag } = await setup();
    const res = await fetch(`${ag.url}/control/rewrite/add`, {
      method: "POST",
      headers: { Authorization: `Basic ${Buffer.from(`${ag.username}:${ag.password}`).toString("base64")}`, "Content-Type": "text/plain" },
      body: JSON.stringify({ domain: "x.example.test", answer: "192.0.2.1" }),
    });
    expect(res.status).toBe(415);
    expect(entries(ag)).toEqual([]);
  });
});

describe("AdguardProvider.applyChanges", () => {
  it("applies changes one by one and isolates a failure", async () => {
    const { ag, provider } = await setup([{ domain: "old.example.test", answer: "192.0.2.1" }]);
    const results = await provider.applyChanges([
      { op: "create", record: want("a.example.test", "192.0.2.2") },
      { op: "create", record: want("b.example.test", "not-an-ip", { type: "A" }) },
      { op: "update", id: "old.example.test|192.0.2.1", record: want("old.example.test", "192.0.2.9") },
      { op: "delete", id: "gone.example.test|192.0.2.3", fqdn: "gone.example.test", type: "A", content: "192.0.2.3" },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true]);
    expect(entries(ag)).toEqual(["a.example.test 192.0.2.2", "old.example.test 192.0.2.9"]);
  });
});
