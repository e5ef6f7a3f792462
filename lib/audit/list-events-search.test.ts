import { describe, expect, it } from "vitest";
import { SYSTEM_ACTOR, recordEvent } from "./record-event";
import { listEvents } from "./list-events";

describe("list search text", () => {
  it("ignores case on either backend (SQLite's LIKE does; PostgreSQL needs mode insensitive)", async () => {
    await recordEvent({ actor: SYSTEM_ACTOR, action: "probe.case", target: "Shop-Frontend", result: "ok" });
    await recordEvent({ actor: SYSTEM_ACTOR, action: "probe.case", target: "billing", result: "ok" });
    for (const q of ["shop-front", "SHOP-FRONT", "Shop-Front"]) {
      const page = await listEvents({ params: new URLSearchParams({ q }) });
      expect(page.items.map((e) => e.target)).toEqual(["Shop-Frontend"]);
    }
  });
});
