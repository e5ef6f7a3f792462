import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { env, resetEnvCache } from "./env";
import { markerAllowsWrite, markerOwner, parseRecordMarker, recordMarker } from "./naming";
import { appSecrets, installationId, loadInstallationId, missingReplicaSecrets, resetSecretsCache } from "./secrets";
import { defaultSettings } from "./settings/defaults";
import { toPublicSettings } from "./settings/public-settings";

const pgMode = env().dbProvider === "postgresql";

afterEach(async () => {
  delete process.env.WHARF_INSTALLATION_ID;
  resetEnvCache();
  resetSecretsCache();
  if (pgMode) await loadInstallationId();
});

describe.runIf(pgMode)("installation id and secrets on PostgreSQL", () => {
  it("is kept in the database, not under ./data, and every replica loads the same one", async () => {
    const id = installationId();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(existsSync(path.join(env().dataDir, "installation-id"))).toBe(false);
    const { db } = await import("./db");
    expect((await db.setting.findUniqueOrThrow({ where: { key: "installation-id" } })).value).toBe(id);
    resetSecretsCache();
    expect(() => installationId()).toThrow(/not loaded/);
    expect(await Promise.all([loadInstallationId(), loadInstallationId()])).toEqual([id, id]);
  });

  it("refuses to start without the shared secrets from the environment, naming the missing ones", () => {
    const saved = process.env.WHARF_ENCRYPTION_KEY;
    delete process.env.WHARF_ENCRYPTION_KEY;
    resetEnvCache();
    resetSecretsCache();
    try {
      expect(missingReplicaSecrets()).toEqual(["WHARF_ENCRYPTION_KEY"]);
      expect(() => appSecrets()).toThrow(/PostgreSQL, WHARF_ENCRYPTION_KEY must be set in the environment/);
    } finally {
      process.env.WHARF_ENCRYPTION_KEY = saved;
      resetEnvCache();
    }
  });
});

describe.skipIf(pgMode)("installation id", () => {
  it("is generated on first start, kept under the data dir and shown in the public settings", () => {
    const id = installationId();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const file = path.join(env().dataDir, "installation-id");
    expect(readFileSync(file, "utf8").trim()).toBe(id);
    resetSecretsCache();
    expect(installationId()).toBe(id);
    expect(toPublicSettings(defaultSettings()).installationId).toBe(id);
  });

  it("is overridden by WHARF_INSTALLATION_ID, which must fit a marker", () => {
    installationId();
    process.env.WHARF_INSTALLATION_ID = "staging-1";
    resetEnvCache();
    resetSecretsCache();
    expect(installationId()).toBe("staging-1");
    expect(existsSync(path.join(env().dataDir, "installation-id"))).toBe(true);
    process.env.WHARF_INSTALLATION_ID = "has:colon";
    resetEnvCache();
    expect(() => env()).toThrow(/WHARF_INSTALLATION_ID/);
  });
});

describe("record markers", () => {
  it("carry the installation and stay within Cloudflare's 100-character comment limit", () => {
    const m = recordMarker("a".repeat(40), "standalone", "c".repeat(30));
    expect(m.length).toBeLessThanOrEqual(100);
    expect(parseRecordMarker(m)).toEqual({ installation: "a".repeat(40), type: "standalone", id: "c".repeat(30) });
    expect(parseRecordMarker("wharf:instance:abc")).toEqual({ installation: null, type: "instance", id: "abc" });
  });

  it("say whose a record is, seen from one installation", () => {
    expect(markerOwner("wharf:prod:instance:x", "prod")).toBe("mine");
    expect(markerOwner("wharf:staging:instance:x", "prod")).toBe("other");
    expect(markerOwner("wharf:instance:x", "prod")).toBe("legacy");
    expect(markerOwner("wharf:garbage", "prod")).toBe("other");
    expect(markerOwner("made by hand", "prod")).toBe("none");
    expect(markerOwner(null, "prod")).toBe("none");
  });

  it("allow overwriting a legacy marker only for the consumer it names", () => {
    const want = recordMarker("prod", "instance", "ck1");
    expect(markerAllowsWrite("wharf:prod:standalone:ck9", "prod", want)).toBe(true);
    expect(markerAllowsWrite("wharf:instance:ck1", "prod", want)).toBe(true);
    expect(markerAllowsWrite("wharf:instance:ck2", "prod", want)).toBe(false);
    expect(markerAllowsWrite("wharf:staging:instance:ck1", "prod", want)).toBe(false);
    expect(markerAllowsWrite(null, "prod", want)).toBe(false);
  });
});
