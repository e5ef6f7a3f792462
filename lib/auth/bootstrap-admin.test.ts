import { describe, expect, it } from "vitest";
import { db } from "../db";
import { bootstrapAdminFromEnv } from "./users";

// Replicas start together with the same WHARF_ADMIN_EMAIL (the compose profile
// `replicas`, issue 26): both see no user, both insert; the loser must start
// normally, not exit on the unique index.
describe("bootstrapAdminFromEnv", () => {
  it("creates the admin once when several processes start at the same moment", async () => {
    const results = await Promise.all([1, 2, 3].map(() => bootstrapAdminFromEnv("Race@Example.com", "long-enough-pw")));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.user.count({ where: { email: "race@example.com" } })).toBe(1);
    expect(await bootstrapAdminFromEnv("race@example.com", "long-enough-pw")).toBe(false);
  });
});
