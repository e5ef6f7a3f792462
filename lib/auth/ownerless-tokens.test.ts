import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { db, isPostgres } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { actorFromToken, createApiToken, hashToken, TOKEN_PREFIX } from "./tokens";
import { createDeployToken } from "./deploy-tokens";
import * as settingsRoute from "../../app/api/settings/route";

// Issue 21: tokens stored without an owner (made before owners were enforced)
// kept their full role. They are refused, never made again, and the upgrade
// revokes the ones stored, each with an audit line.

async function ownerless(name: string) {
  const token = `${TOKEN_PREFIX}${name}-${"x".repeat(40)}`;
  const row = await db.apiToken.create({ data: { name, role: "admin", tokenHash: hashToken(token), prefix: token.slice(0, 12), userId: null } });
  return { token, row };
}

describe("ownerless tokens", () => {
  it("an ownerless admin token is refused: 401 on the API", async () => {
    const { token } = await ownerless("legacy-admin");
    expect(await actorFromToken(token)).toBeNull();
    const res = await settingsRoute.GET(new Request("http://wharf.test/api/settings", { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });
    expect(res.status).toBe(401);
  });

  it("a token without an owner is never made (system actor, deploy token): 400 naming owner", async () => {
    await expect(createApiToken({ actor: SYSTEM_ACTOR, body: { name: "nobody", role: "admin" } })).rejects.toMatchObject({ code: "VALIDATION", field: "owner" });
    const inst = await db.instance.create({ data: { name: "ol-inst", image: "wharf-test/web:v1", subdomain: "ol-inst", port: 8080 } });
    await expect(createDeployToken({ actor: SYSTEM_ACTOR, instanceId: inst.id, body: { name: "ci" } })).rejects.toMatchObject({ code: "VALIDATION", field: "owner" });
    expect(await db.apiToken.count({ where: { name: { in: ["nobody", "ci"] } } })).toBe(0);
  });

  it("the upgrade's migration revokes stored ownerless tokens with an audit line each, and leaves owned ones", async () => {
    const a = await ownerless("legacy-a");
    const b = await ownerless("legacy-b");
    const owner = await db.user.create({ data: { email: "mig-owner@example.com", passwordHash: "x", role: "admin" } });
    const owned = await db.apiToken.create({ data: { name: "owned", role: "admin", tokenHash: hashToken("owned-token"), prefix: "wharf_owned", userId: owner.id } });
    // The migration of the backend under test (SQLite's, or its PostgreSQL twin).
    const dir = isPostgres() ? "prisma/postgresql/migrations" : "prisma/migrations";
    const sql = readFileSync(path.resolve(dir, "20261207152100_security_round_2/migration.sql"), "utf8");
    // Its data statements again (the test database already has its schema change); comments are lines starting with "--".
    const statements = sql.split(/;\s*$/m).map((s) => s.replace(/^--.*$/gm, "").trim()).filter((s) => s && !s.startsWith("ALTER TABLE"));
    expect(statements).toHaveLength(2);
    for (const stmt of statements) await db.$executeRawUnsafe(stmt);
    for (const { row } of [a, b]) {
      const after = await db.apiToken.findUniqueOrThrow({ where: { id: row.id } });
      expect(after.revokedAt).toBeInstanceOf(Date);
      expect(await db.auditEvent.count({ where: { action: "token.revoke", actorLabel: "migration", target: `${row.name} (${row.prefix}…)` } })).toBe(1);
    }
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: owned.id } })).revokedAt).toBeNull();
    // Dates written by the migration read back as Prisma writes them.
    const line = await db.auditEvent.findFirstOrThrow({ where: { actorLabel: "migration" } });
    expect(Math.abs(line.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });
});
