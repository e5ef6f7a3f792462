import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, parseListQuery } from "./pagination";

const q = (s: string) => parseListQuery(new URLSearchParams(s), { sorts: ["domain", "createdAt"], defaultSort: "domain" });
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, field: (err as { field: string }).field, message: (err as Error).message };
  }
  throw new Error("expected a rejection");
};

describe("parseListQuery", () => {
  it("defaults to the default sort, ascending, 50 rows, no cursor", () => {
    expect(q("")).toEqual({ limit: 50, sort: "domain", dir: "asc", cursor: null });
    expect(q("limit=500&sort=createdAt&dir=desc")).toMatchObject({ limit: 500, sort: "createdAt", dir: "desc" });
    expect(q("limit=")).toMatchObject({ limit: 50 });
  });

  it.each(["0", "501", "-1", "1.5", "ten", "1e2", " 5"])("refuses limit=%s with a 400 naming limit", (v) => {
    expect(fieldOf(() => q(`limit=${encodeURIComponent(v)}`))).toEqual({ code: "VALIDATION", field: "limit", message: "limit: must be an integer from 1 to 500" });
  });

  it("refuses an unknown sort, a bad direction and a repeated parameter, naming each", () => {
    expect(fieldOf(() => q("sort=password"))).toMatchObject({ field: "sort", message: "sort: must be one of domain, createdAt" });
    expect(fieldOf(() => q("dir=up"))).toMatchObject({ field: "dir" });
    expect(fieldOf(() => q("limit=5&limit=6"))).toMatchObject({ field: "limit", message: "limit: may be given once" });
  });

  it.each(["garbage", "e30", Buffer.from('["domain","asc",{},"x",0]').toString("base64url"), Buffer.from("[1,2,3]").toString("base64url")])(
    "refuses the cursor %s with a 400 naming cursor",
    (c) => {
      expect(fieldOf(() => q(`cursor=${c}`))).toMatchObject({ code: "VALIDATION", field: "cursor", message: "cursor: is not a cursor this API returned" });
    },
  );

  it("round-trips a cursor and refuses one made for another order", () => {
    const c = encodeCursor({ sort: "domain", dir: "asc", value: "a.example.com", id: "c1", back: false });
    expect(decodeCursor(c)).toEqual({ sort: "domain", dir: "asc", value: "a.example.com", id: "c1", back: false });
    expect(q(`cursor=${c}`).cursor).toMatchObject({ value: "a.example.com" });
    expect(fieldOf(() => q(`cursor=${c}&dir=desc`))).toMatchObject({ field: "cursor", message: "cursor: belongs to another order than sort=domain&dir=desc" });
    expect(fieldOf(() => q(`cursor=${c}&sort=createdAt`))).toMatchObject({ field: "cursor" });
  });
});
