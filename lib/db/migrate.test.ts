import { cpSync, mkdtempSync, mkdirSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { listMigrations, migrateDatabase } from "./migrate";

const committed = path.resolve("prisma/migrations");

function scratch() {
  const dir = mkdtempSync(path.join(tmpdir(), "wharf-migrate-test-"));
  const migrations = path.join(dir, "migrations");
  cpSync(committed, migrations, { recursive: true });
  return { dir, migrations, url: `file:${path.join(dir, "wharf.db")}` };
}

function addMigration(dir: string, name: string, sql: string) {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, "migration.sql"), sql);
}

describe("migrateDatabase", () => {
  it("applies every committed migration to an empty database with Prisma's bookkeeping", () => {
    const s = scratch();
    const res = migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations });
    const names = listMigrations(s.migrations).map((m) => m.name);
    expect(res.applied).toEqual(names);
    const db = new Database(s.url.slice(5));
    const rows = db.prepare(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`).all() as {
      migration_name: string; checksum: string; finished_at: string | null; applied_steps_count: number;
    }[];
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && r.finished_at && r.applied_steps_count === 1)).toBe(true);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(["User", "ApiToken", "Setting", "Instance", "Deployment", "DeploymentStep", "StandaloneProxy", "dns_records", "SyncRun", "AuditEvent", "Lease"]));
    db.close();
  });

  it("is a no-op the second time", () => {
    const s = scratch();
    migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations });
    const again = migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(readdirSync(s.migrations).filter((n) => !n.endsWith(".toml")).length);
  });

  it("upgrades an older database without losing rows, including a table rebuild", () => {
    const s = scratch();
    migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations });
    const db = new Database(s.url.slice(5));
    db.prepare(`INSERT INTO "User" (id, email, passwordHash, role, updatedAt) VALUES ('u1', 'a@example.com', 'h', 'admin', CURRENT_TIMESTAMP)`).run();
    db.prepare(`INSERT INTO "Instance" (id, name, image, subdomain, port, updatedAt) VALUES ('i1', 'web', 'nginx:1', 'web', 80, CURRENT_TIMESTAMP)`).run();
    db.prepare(`INSERT INTO "Deployment" (id, instanceId, kind, image) VALUES ('d1', 'i1', 'deploy', 'nginx:1')`).run();
    db.close();

    // A later release: adds a column and rebuilds a table the way Prisma's SQLite migrations do.
    addMigration(s.migrations, "99990101000000_later_release", `
ALTER TABLE "Instance" ADD COLUMN "note" TEXT;
CREATE TABLE "new_User" ("id" TEXT NOT NULL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT, "passwordHash" TEXT NOT NULL,
  "role" TEXT NOT NULL DEFAULT 'viewer', "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL, "disabled" BOOLEAN NOT NULL DEFAULT false);
INSERT INTO "new_User" ("id", "email", "name", "passwordHash", "role", "createdAt", "updatedAt") SELECT "id", "email", "name", "passwordHash", "role", "createdAt", "updatedAt" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`);
    const res = migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations });
    expect(res.applied).toEqual(["99990101000000_later_release"]);
    const after = new Database(s.url.slice(5));
    expect(after.prepare(`SELECT email, role, disabled FROM "User"`).all()).toEqual([{ email: "a@example.com", role: "admin", disabled: 0 }]);
    expect(after.prepare(`SELECT name, note FROM "Instance"`).all()).toEqual([{ name: "web", note: null }]);
    expect(after.prepare(`SELECT count(*) AS n FROM "Deployment"`).get()).toEqual({ n: 1 });
    after.close();
  });

  it("rolls back a failing migration whole: no partial schema, no bookkeeping row, retried at the next start", () => {
    const s = scratch();
    migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations });
    addMigration(s.migrations, "99990101000001_broken", `ALTER TABLE "Instance" ADD COLUMN "half" TEXT;\nTHIS IS NOT SQL;`);
    expect(() => migrateDatabase({ databaseUrl: s.url, migrationsDir: s.migrations })).toThrow(/syntax error/);
    const db = new Database(s.url.slice(5));
    const cols = (db.prepare(`PRAGMA table_info("Instance")`).all() as { name: string }[]).map((c) => c.name);
    expect(cols).not.toContain("half");
    expect(db.prepare(`SELECT count(*) AS n FROM _prisma_migrations WHERE migration_name = '99990101000001_broken'`).get()).toEqual({ n: 0 });
    db.close();
  });
});
