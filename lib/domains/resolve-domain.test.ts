import type { Resolver } from "node:dns/promises";
import { describe, expect, it } from "vitest";
import { resolveDomain } from "./resolve-domain";

// What an authoritative-only server (PowerDNS here) answers: NOERROR/NODATA
// inside its zones, REFUSED outside them. Errors carry c-ares codes as
// node:dns reports them.
function fakeResolver(zone: Record<string, { CNAME?: string; A?: string[]; TXT?: string[][] }>, served: (name: string) => boolean): Resolver {
  const err = (code: string) => Object.assign(new Error(`query ${code}`), { code });
  const lookup = async <T>(name: string, pick: (r: { CNAME?: string; A?: string[]; TXT?: string[][] }) => T[] | undefined) => {
    if (!served(name)) throw err("EREFUSED");
    const got = zone[name] ? pick(zone[name]) : undefined;
    if (!got?.length) throw err(zone[name] ? "ENODATA" : "ENOTFOUND");
    return got;
  };
  return {
    resolveCname: (n: string) => lookup(n, (r) => (r.CNAME ? [r.CNAME] : undefined)),
    resolve4: (n: string) => lookup(n, (r) => r.A ?? (r.CNAME && served(r.CNAME) ? zone[r.CNAME]?.A : undefined)),
    resolve6: (n: string) => lookup(n, () => undefined),
    resolveTxt: (n: string) => lookup(n, (r) => r.TXT),
  } as unknown as Resolver;
}

const inCustomer = (n: string) => n.endsWith("customer.test");

describe("resolveDomain", () => {
  it("keeps a CNAME chain whose later hop the server refuses (it is outside its zones)", async () => {
    const r = fakeResolver({ "shop.customer.test": { CNAME: "web.apps.example.com" } }, inCustomer);
    expect(await resolveDomain("shop.customer.test", r)).toEqual({ cnames: ["web.apps.example.com"], addresses: [], txt: [] });
  });

  it("treats no such name as findings, and a refused first question as a resolver error", async () => {
    expect(await resolveDomain("none.customer.test", fakeResolver({}, inCustomer))).toEqual({ cnames: [], addresses: [], txt: [] });
    const refused = await resolveDomain("shop.other.test", fakeResolver({}, inCustomer));
    expect(refused).toMatchObject({ cnames: [], addresses: [], txt: [] });
    expect(refused.error).toMatch(/could not answer \(EREFUSED\)$/);
  });

  it("reads A records and the TXT token, joining TXT chunks", async () => {
    const r = fakeResolver({ "a.customer.test": { A: ["203.0.113.10"] }, "_wharf-challenge.a.customer.test": { TXT: [["wharf-", "abc"]] } }, inCustomer);
    expect(await resolveDomain("a.customer.test", r)).toEqual({ cnames: [], addresses: ["203.0.113.10"], txt: ["wharf-abc"] });
  });
});
