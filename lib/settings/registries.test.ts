import { describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { pullAuthFor, registryCredentialsFor } from "../registry/credentials-for";
import { getSettings, SETTINGS_KEY } from "./get-settings";
import { toPublicSettings } from "./public-settings";
import { applySettingsUpdate, updateSettings } from "../configuration/update-settings";

describe("registry credentials in settings", () => {
  it("are stored encrypted and come back only as passwordSet", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { registries: [{ host: "GHCR.io", username: "bot", password: "ghp-secret-1" }] } });
    const raw = (await db.setting.findUniqueOrThrow({ where: { key: SETTINGS_KEY } })).value;
    expect(raw).not.toContain("ghp-secret-1");
    expect(toPublicSettings(await getSettings()).registries).toEqual([{ host: "ghcr.io", username: "bot", passwordSet: true }]);
    expect(JSON.stringify(toPublicSettings(await getSettings()))).not.toContain("ghp-secret-1");
    expect((await getSettings()).registries[0].password).toBe("ghp-secret-1");
  });

  it("keep a password only for the same host and user; a changed host needs it again", async () => {
    const current = await getSettings();
    expect(applySettingsUpdate(current, { registries: [{ host: "ghcr.io", username: "bot" }] }).registries[0].password).toBe("ghp-secret-1");
    expect(() => applySettingsUpdate(current, { registries: [{ host: "evil.example.com", username: "bot" }] })).toThrow("registries.0.password: is required for evil.example.com");
    expect(() => applySettingsUpdate(current, { registries: [{ host: "ghcr.io", username: "someone-else" }] })).toThrow("registries.0.password");
  });

  it("refuse bad input with the field named", async () => {
    const current = await getSettings();
    expect(() => applySettingsUpdate(current, { registries: [{ host: "not a host", username: "u", password: "p" }] })).toThrow(/registries\.0\.host/);
    expect(() => applySettingsUpdate(current, { registries: [{ host: "a.io", username: "u", password: "p" }, { host: "A.io", username: "v", password: "q" }] })).toThrow("registries.1.host: a.io is listed twice");
  });

  it("match an image by its registry host, Docker Hub's aliases included", async () => {
    const s = applySettingsUpdate(await getSettings(), { registries: [{ host: "index.docker.io", username: "hub", password: "h" }, { host: "127.0.0.1:5050", username: "ci", password: "c" }] });
    expect(registryCredentialsFor(s, "nginx:1.27")).toEqual({ username: "hub", password: "h" });
    expect(registryCredentialsFor(s, "docker.io/org/app")).toEqual({ username: "hub", password: "h" });
    expect(pullAuthFor(s, "org/app:v1")).toEqual({ username: "hub", password: "h", serveraddress: "https://index.docker.io/v1/" });
    expect(pullAuthFor(s, "127.0.0.1:5050/lab/web:v1")).toEqual({ username: "ci", password: "c", serveraddress: "127.0.0.1:5050" });
    expect(registryCredentialsFor(s, "127.0.0.1:5051/lab/web:v1")).toBeNull();
    expect(registryCredentialsFor(s, "ghcr.io/org/app")).toBeNull();
  });

  it("update detection defaults to on, every 60 minutes, and can be switched off", async () => {
    expect((await getSettings()).updates).toEqual({ enabled: true, intervalMinutes: 60 });
    expect(applySettingsUpdate(await getSettings(), { updates: { enabled: false } }).updates).toEqual({ enabled: false, intervalMinutes: 60 });
    const s = await getSettings();
    expect(() => applySettingsUpdate(s, { updates: { intervalMinutes: 0 } })).toThrow(/updates\.intervalMinutes/);
  });
});
