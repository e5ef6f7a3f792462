import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { applySettingsUpdate, updateSettings } from "../configuration/update-settings";
import { db } from "../db";
import { isAppError } from "../errors";
import { checkDomains } from "../reconcile/custom-domains";
import { defaultSettings } from "../settings/defaults";
import { getSettings, SETTINGS_KEY } from "../settings/get-settings";
import { toPublicSettings } from "../settings/public-settings";
import { listDomainWarnings } from "./domain-warnings";
import { listDomains } from "./list-domains";
import { domainGraceMs } from "./timeouts";

// The grace period of a misconfigured custom domain is a setting (hours,
// 72 by default; SPEC §14), validated with the field named, and the one the
// reconciler's domain pass, the API and the dashboard warning use;
// WHARF_DOMAIN_GRACE_MS, when set, overrides it.

const HOUR = 3600_000;
const saved = { grace: process.env.WHARF_DOMAIN_GRACE_MS, recheck: process.env.WHARF_DOMAIN_RECHECK_MS };

beforeEach(async () => {
  delete process.env.WHARF_DOMAIN_GRACE_MS;
  // Re-validation is not due for an hour: only the grace period's end can make the domain due here.
  process.env.WHARF_DOMAIN_RECHECK_MS = String(HOUR);
  await db.customDomain.deleteMany();
  await db.instance.deleteMany();
  await db.setting.deleteMany();
});
afterEach(() => {
  for (const [k, v] of [["WHARF_DOMAIN_GRACE_MS", saved.grace], ["WHARF_DOMAIN_RECHECK_MS", saved.recheck]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function refusal(fn: () => unknown): { field?: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("expected a validation error");
}

describe("the custom-domain grace period setting", () => {
  it("defaults to 72 hours, is validated with the field named, and a refused save writes nothing", async () => {
    const base = defaultSettings();
    expect(base.domains.graceHours).toBe(72);
    expect(domainGraceMs(base)).toBe(72 * HOUR);
    for (const bad of [-1, 1.5, 8761, "soon"]) {
      const r = refusal(() => applySettingsUpdate(base, { domains: { graceHours: bad } }));
      expect(r.field, String(bad)).toBe("domains.graceHours");
      expect(r.message).toMatch(/^domains\.graceHours: /);
    }
    expect(refusal(() => applySettingsUpdate(base, { domains: { graceMinutes: 5 } })).field).toBe("domains.graceMinutes");
    expect(applySettingsUpdate(base, { domains: { graceHours: 0 } }).domains.graceHours).toBe(0);

    await updateSettings({ actor: SYSTEM_ACTOR, body: { domains: { graceHours: 12 } } });
    const before = await db.setting.findUnique({ where: { key: SETTINGS_KEY } });
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: { domains: { graceHours: -3 } } })).rejects.toThrow(/domains\.graceHours/);
    expect((await db.setting.findUnique({ where: { key: SETTINGS_KEY } }))?.value).toBe(before?.value);
    // Kept across other saves; shown to the browser.
    await updateSettings({ actor: SYSTEM_ACTOR, body: { sync: { intervalMinutes: 7 } } });
    const s = await getSettings();
    expect(s.domains.graceHours).toBe(12);
    expect(toPublicSettings(s).domains).toEqual({ graceHours: 12 });
  });

  it("the reconciler, the API and the dashboard warning use the saved value; the environment variable overrides it", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "apps.example.test", targetAddress: "203.0.113.10" } });
    const instance = await db.instance.create({ data: { name: "grace-web", image: "wharf-test/web:v1", subdomain: "grace-web", port: 8080, status: "running" } });
    const now = new Date();
    const since = new Date(now.getTime() - 5 * HOUR);
    await db.customDomain.create({
      data: { instanceId: instance.id, domain: "shop.example.org", token: "wharf-t", state: "misconfigured", routed: true, checkedAt: now, misconfiguredSince: since },
    });
    const due = async () => (await checkDomains({ settings: await getSettings(), dryRun: true, now })).lines.map((l) => l.name);
    const unroutedAt = async () => (await listDomains({ instanceId: instance.id })).items[0].unroutedAt?.toISOString();

    // 72 h: five hours misconfigured is well within the grace period.
    expect(await due()).toEqual([]);
    expect(await unroutedAt()).toBe(new Date(since.getTime() + 72 * HOUR).toISOString());

    // 4 h saved: the grace period is over, the pass takes the domain up.
    await updateSettings({ actor: SYSTEM_ACTOR, body: { domains: { graceHours: 4 } } });
    expect(await due()).toEqual(["shop.example.org"]);
    expect(await unroutedAt()).toBe(new Date(since.getTime() + 4 * HOUR).toISOString());
    expect((await listDomainWarnings({ take: 5 })).items[0].unroutedAt?.toISOString()).toBe(new Date(since.getTime() + 4 * HOUR).toISOString());

    // The environment variable, when set, wins over the setting.
    process.env.WHARF_DOMAIN_GRACE_MS = String(6 * HOUR);
    expect(await due()).toEqual([]);
    expect(await unroutedAt()).toBe(new Date(since.getTime() + 6 * HOUR).toISOString());
  });
});
