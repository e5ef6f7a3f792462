import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { migrateDatabase } from "../db/migrate";
import { getSettings, SETTINGS_KEY } from "./get-settings";
import { isUpgradeFromBeforeTls, keepUpgradeOnHttp } from "./keep-upgrade-on-http";

const committed = path.resolve("prisma/migrations");

describe("an upgrade from before TLS", () => {
  beforeEach(async () => {
    await db.setting.deleteMany({ where: { key: SETTINGS_KEY } });
  });

  it("is recognised from the migrations a start applies to an existing database, and a new database is not one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wharf-upgrade-"));
    const old = path.join(dir, "old");
    cpSync(committed, old, { recursive: true });
    const tls = readdirSync(old).find((n) => n.endsWith("_consumer_tls"))!;
    for (const n of readdirSync(old)) if (n >= tls && n !== "migration_lock.toml") rmSync(path.join(old, n), { recursive: true });
    const url = `file:${path.join(dir, "wharf.db")}`;
    expect(isUpgradeFromBeforeTls(migrateDatabase({ databaseUrl: url, migrationsDir: old }))).toBe(false);
    expect(isUpgradeFromBeforeTls(migrateDatabase({ databaseUrl: url, migrationsDir: committed }))).toBe(true);
    expect(isUpgradeFromBeforeTls(migrateDatabase({ databaseUrl: url, migrationsDir: committed }))).toBe(false);
    expect(isUpgradeFromBeforeTls(migrateDatabase({ databaseUrl: `file:${path.join(dir, "new.db")}`, migrationsDir: committed }))).toBe(false);
  });

  it("without saved settings keeps TLS off and every other default; a new installation keeps its proposal", async () => {
    expect((await getSettings()).tls.mode).toBe("internal"); // wharf.localhost: a new installation proposes the internal CA
    expect(await keepUpgradeOnHttp({ applied: [], alreadyApplied: 0 })).toBe(false);
    expect((await getSettings()).tls.mode).toBe("internal");
    const before = await getSettings();
    expect(await keepUpgradeOnHttp({ applied: ["20261201100000_consumer_tls"], alreadyApplied: 4 })).toBe(true);
    const after = await getSettings();
    expect(after.tls.mode).toBe("off");
    expect({ ...after, tls: before.tls }).toEqual(before);
  });

  it("leaves saved settings alone", async () => {
    await db.setting.create({ data: { key: SETTINGS_KEY, value: JSON.stringify({ tls: { mode: "acme" }, baseDomain: "example.org" }) } });
    expect(await keepUpgradeOnHttp({ applied: ["20261201100000_consumer_tls"], alreadyApplied: 4 })).toBe(false);
    expect((await getSettings()).tls.mode).toBe("acme");
  });
});
