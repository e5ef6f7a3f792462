import { describe, expect, it } from "vitest";
import { CfRecordMap } from "./cloudflare-double-store";
import type { CfDoubleRecord } from "./cloudflare-double-store";

const rec = (id: string, name: string, zone = "z1") => ({ id, name, zone_id: zone, type: "A", content: "203.0.113.10" }) as unknown as CfDoubleRecord;
const names = (m: CfRecordMap, name: string, zone = "z1") => m.named(zone, name).map((r) => r.id).sort();

describe("the Cloudflare double's record index", () => {
  it("follows sets, renames and deletes, per zone", () => {
    const m = new CfRecordMap();
    m.set("a", rec("a", "web.example.test")).set("b", rec("b", "web.example.test")).set("c", rec("c", "web.example.test", "z2"));
    expect(names(m, "web.example.test")).toEqual(["a", "b"]);
    expect([m.count("z1"), m.count("z2")]).toEqual([2, 1]);
    m.set("b", rec("b", "api.example.test"));
    expect(names(m, "web.example.test")).toEqual(["a"]);
    expect(names(m, "api.example.test")).toEqual(["b"]);
    m.delete("a");
    expect(names(m, "web.example.test")).toEqual([]);
    expect(m.count("z1")).toBe(1);
  });

  it("undoes every write of a failed transaction, index included", () => {
    const m = new CfRecordMap();
    m.set("a", rec("a", "web.example.test"));
    expect(() =>
      m.atomically(() => {
        m.delete("a");
        m.set("b", rec("b", "web.example.test"));
        m.set("b", rec("b", "other.example.test"));
        throw new Error("81057");
      }),
    ).toThrow("81057");
    expect([...m.keys()]).toEqual(["a"]);
    expect(names(m, "web.example.test")).toEqual(["a"]);
    expect(names(m, "other.example.test")).toEqual([]);
    expect(m.count("z1")).toBe(1);
    expect(m.atomically(() => m.set("c", rec("c", "x.example.test")).size)).toBe(2);
  });
});
