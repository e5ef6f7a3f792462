import { describe, expect, it } from "vitest";
import { AppError } from "./errors";
import { nestedFromForm } from "./form-data";
import { readJson } from "./http";

const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};
const fieldOf = async (p: () => unknown) => {
  try {
    await p();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return { code: (err as AppError).code, field: (err as AppError).field, status: (err as AppError).status };
  }
  throw new Error("did not throw");
};

describe("nestedFromForm", () => {
  it("nests dotted names into null-prototype objects", () => {
    const out = nestedFromForm(form([["dns.provider.type", "powerdns"], ["dns.ttl", "60"]]), { numbers: ["dns.ttl"] }) as { dns: { provider: { type: string }; ttl: number } };
    expect(out.dns.provider.type).toBe("powerdns");
    expect(out.dns.ttl).toBe(60);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.getPrototypeOf(out.dns)).toBeNull();
  });

  it.each(["constructor.prototype.pwn", "__proto__.pwn", "a.__proto__", "dns.constructor", "x.prototype.y"])("refuses %s with a 400 naming it, polluting nothing", async (name) => {
    expect(await fieldOf(() => nestedFromForm(form([[name, "yes"]])))).toEqual({ code: "VALIDATION", field: name, status: 400 });
    expect(({} as Record<string, unknown>).pwn).toBeUndefined();
  });

  it("a name that is both a value and a parent is a 400, not a TypeError", async () => {
    expect(await fieldOf(() => nestedFromForm(form([["a", "1"], ["a.b", "2"]])))).toMatchObject({ code: "VALIDATION", field: "a.b" });
  });
});

describe("readJson", () => {
  const req = (body: string) => new Request("http://127.0.0.1/x", { method: "POST", body, headers: { "content-type": "application/json" } });

  it.each([
    ['{"__proto__":{"pwn":1}}', "__proto__"],
    ['{"sync":{"constructor":{"prototype":{"pwn":1}}}}', "sync.constructor"],
    ['{"registries":[{"host":"h","__proto__":{}}]}', "registries.0.__proto__"],
  ])("%s → 400 naming %s", async (body, field) => {
    expect(await fieldOf(() => readJson(req(body)))).toEqual({ code: "VALIDATION", field, status: 400 });
  });

  it("lands in null-prototype objects; arrays and values are kept", async () => {
    const out = (await readJson(req('{"a":{"b":[1,{"c":"d"}]},"n":null}'))) as { a: { b: [number, { c: string }] }; n: null };
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.getPrototypeOf(out.a.b[1])).toBeNull();
    expect(out.a.b[1].c).toBe("d");
    expect(out.n).toBeNull();
  });
});
