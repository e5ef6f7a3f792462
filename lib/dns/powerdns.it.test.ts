import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_RETRY, MARK, want } from "../../test/doubles/dns-helpers";
import { AppError } from "../errors";
import { PowerDnsProvider } from "./powerdns";

// Against the real PowerDNS of test/services/start.sh: a throw-away zone per
// run, and every claim about a record checked by asking PowerDNS over DNS.

const API = "http://127.0.0.1:8081";
const KEY = "wharf-test-key";
const ZONE = `wharf-it-${randomBytes(4).toString("hex")}.test`;
const name = (label: string) => `${label}.${ZONE}`;

async function pdns(method: string, p: string, body?: unknown): Promise<Response> {
  return fetch(`${API}/api/v1/servers/localhost${p}`, {
    method,
    headers: { "X-API-Key": KEY, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const resolver = new Resolver({ timeout: 2_000, tries: 2 });
resolver.setServers(["127.0.0.1:5300"]);

/** What PowerDNS answers over DNS, or the resolver's error code (ENOTFOUND/ENODATA) when nothing. */
async function lookup(fqdn: string, type: "A" | "AAAA" | "CNAME"): Promise<string[] | string> {
  try {
    if (type === "A") return await resolver.resolve4(fqdn);
    if (type === "AAAA") return await resolver.resolve6(fqdn);
    return await resolver.resolveCname(fqdn);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "error";
  }
}

const provider = new PowerDnsProvider({ type: "powerdns", apiUrl: API, apiKey: KEY, zone: ZONE, serverId: "localhost" }, { retry: FAST_RETRY });

beforeAll(async () => {
  const up = await pdns("GET", "").then((r) => r.ok).catch(() => false);
  if (!up) execFileSync("bash", [path.resolve(import.meta.dirname, "../../test/services/start.sh")], { stdio: "inherit" });
  const res = await pdns("POST", "/zones", { name: `${ZONE}.`, kind: "Native", nameservers: [`ns1.${ZONE}.`] });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await pdns("DELETE", `/zones/${ZONE}.`);
});

describe("PowerDnsProvider against real PowerDNS", () => {
  it("ensures a record that then resolves, idempotently", async () => {
    const rec = await provider.ensureRecord(want(name("app"), "192.0.2.10"));
    expect(rec).toEqual({ id: `${name("app")}|A`, fqdn: name("app"), type: "A", content: "192.0.2.10", ttl: 300, marker: MARK });
    expect(await lookup(name("app"), "A")).toEqual(["192.0.2.10"]);
    const calls = provider.apiCalls;
    await provider.ensureRecord(want(name("app"), "192.0.2.10"));
    expect(provider.apiCalls - calls).toBe(2); // a look and a read-back, no PATCH
    const rrsets = (await (await pdns("GET", `/zones/${ZONE}.?rrset_name=${name("app")}.`)).json()).rrsets;
    expect(rrsets).toHaveLength(1);
    expect(rrsets[0].comments).toMatchObject([{ content: MARK, account: "wharf" }]);
  });

  it("updates the record and DNS answers with the new address", async () => {
    await provider.ensureRecord(want(name("move"), "192.0.2.20"));
    await provider.ensureRecord(want(name("move"), "203.0.113.20", { ttl: 120 }));
    expect(await lookup(name("move"), "A")).toEqual(["203.0.113.20"]);
    expect(await provider.verifyRecord({ fqdn: name("move"), type: "A" })).toMatchObject({ content: "203.0.113.20", ttl: 120 });
  });

  it("switches an A record to a CNAME and serves the CNAME", async () => {
    await provider.ensureRecord(want(name("sw"), "192.0.2.30"));
    const rec = await provider.ensureRecord(want(name("sw"), "edge.example.com"));
    expect(rec.content).toBe("edge.example.com");
    expect(await lookup(name("sw"), "CNAME")).toEqual(["edge.example.com"]);
  });

  it("deletes the record, which stops resolving, and deleting again succeeds", async () => {
    await provider.ensureRecord(want(name("gone"), "192.0.2.40"));
    expect(await lookup(name("gone"), "A")).toEqual(["192.0.2.40"]);
    await provider.deleteRecord({ fqdn: name("gone"), type: "A" });
    expect(await lookup(name("gone"), "A")).toBe("ENOTFOUND");
    await provider.deleteRecord({ fqdn: name("gone"), type: "A" });
    expect(await provider.verifyRecord({ fqdn: name("gone"), type: "A" })).toBeNull();
  });

  it("refuses an rrset without Wharf's marker and leaves it serving", async () => {
    const patch = await pdns("PATCH", `/zones/${ZONE}.`, {
      rrsets: [{ name: `${name("hand")}.`, type: "A", ttl: 60, changetype: "REPLACE", records: [{ content: "198.51.100.7", disabled: false }] }],
    });
    expect(patch.status).toBe(204);
    const err = await provider.ensureRecord(want(name("hand"), "192.0.2.50")).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("FOREIGN_RESOURCE");
    await expect(provider.deleteRecord({ fqdn: name("hand"), type: "A" })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    await expect(provider.ensureRecord(want(name("hand"), "edge.example.com"))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(await lookup(name("hand"), "A")).toEqual(["198.51.100.7"]);
    const listed = (await provider.listRecords()).find((r) => r.fqdn === name("hand"));
    expect(listed).toMatchObject({ content: "198.51.100.7", marker: null });
  });

  it("refuses an rrset another Wharf installation marked and leaves it serving", async () => {
    const theirs = "wharf:staging:standalone:ckother";
    const patch = await pdns("PATCH", `/zones/${ZONE}.`, {
      rrsets: [{ name: `${name("staging")}.`, type: "A", ttl: 60, changetype: "REPLACE", records: [{ content: "198.51.100.8", disabled: false }], comments: [{ content: theirs, account: "wharf" }] }],
    });
    expect(patch.status).toBe(204);
    await expect(provider.ensureRecord(want(name("staging"), "192.0.2.50"))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    await expect(provider.deleteRecord({ fqdn: name("staging"), type: "A" })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(await lookup(name("staging"), "A")).toEqual(["198.51.100.8"]);
    expect((await provider.listRecords()).find((r) => r.fqdn === name("staging"))).toMatchObject({ content: "198.51.100.8", marker: theirs });
  });

  it("rewrites a legacy marker (no installation id) of the same consumer, and refuses one of another consumer", async () => {
    const legacy = MARK.replace(/^wharf:[^:]+:/, "wharf:");
    for (const [label, comment] of [["legacy", legacy], ["legacy-other", "wharf:instance:cksomeoneelse"]]) {
      const patch = await pdns("PATCH", `/zones/${ZONE}.`, {
        rrsets: [{ name: `${name(label)}.`, type: "A", ttl: 60, changetype: "REPLACE", records: [{ content: "192.0.2.60", disabled: false }], comments: [{ content: comment, account: "wharf" }] }],
      });
      expect(patch.status).toBe(204);
    }
    const rec = await provider.ensureRecord(want(name("legacy"), "192.0.2.60"));
    expect(rec.marker).toBe(MARK);
    const [rrset] = await (await pdns("GET", `/zones/${ZONE}.`)).json().then((z: { rrsets: { name: string; comments: { content: string }[] }[] }) => z.rrsets.filter((r) => r.name === `${name("legacy")}.`));
    expect(rrset.comments.map((c) => c.content)).toEqual([MARK]);
    await expect(provider.ensureRecord(want(name("legacy-other"), "192.0.2.61"))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(await lookup(name("legacy-other"), "A")).toEqual(["192.0.2.60"]);
  });

  it("applies a bulk change in one PATCH and isolates a change PowerDNS refuses", async () => {
    const before = await provider.ensureRecord(want(name("b-upd"), "192.0.2.60"));
    const ok = await provider.applyChanges([
      { op: "create", record: want(name("b1"), "192.0.2.61") },
      { op: "create", record: want(name("b2"), "2001:db8::62") },
      { op: "update", id: before.id, record: want(name("b-upd"), "192.0.2.66") },
    ]);
    expect(ok.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await lookup(name("b2"), "AAAA")).toEqual(["2001:db8::62"]);
    expect(await lookup(name("b-upd"), "A")).toEqual(["192.0.2.66"]);
    // A CNAME at the zone apex collides with the SOA/NS rrsets: PowerDNS refuses it, and with it the whole PATCH.
    const mixed = await provider.applyChanges([
      { op: "create", record: want(name("b3"), "192.0.2.63") },
      { op: "create", record: want(ZONE, "edge.example.com") },
      { op: "delete", id: `${name("b1")}|A`, fqdn: name("b1"), type: "A", content: "192.0.2.61" },
    ]);
    expect(mixed.map((r) => r.ok)).toEqual([true, false, true]);
    expect(await lookup(name("b3"), "A")).toEqual(["192.0.2.63"]);
    expect(await lookup(name("b1"), "A")).toBe("ENOTFOUND");
    expect(mixed[1].error).toMatch(/Conflicts with pre-existing RRset/);
    expect(await lookup(ZONE, "CNAME")).toBe("ENODATA");
  });

  it("tests the connection and reports PowerDNS's own error for a bad key", async () => {
    expect(await provider.testConnection()).toMatchObject({ ok: true, message: expect.stringContaining(`zone ${ZONE}`) });
    expect((await provider.listZones()).map((z) => z.name)).toContain(ZONE);
    const bad = new PowerDnsProvider({ type: "powerdns", apiUrl: API, apiKey: "wrong", zone: ZONE, serverId: "localhost" });
    expect(await bad.testConnection()).toEqual({ ok: false, message: "Unauthorized" });
    const noZone = new PowerDnsProvider({ type: "powerdns", apiUrl: API, apiKey: KEY, zone: `missing-${ZONE}`, serverId: "localhost" });
    expect(await noZone.testConnection()).toEqual({ ok: false, message: "Not Found" });
  });
});
