import { describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { resetEnvCache } from "../env";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { toPublicSettings } from "../settings/public-settings";
import { resolveSpec, specColumns } from "./runtime-spec";

describe("resolving the runtime spec", () => {
  it("new instances take the Settings' default limits; explicit values and null win; a partial update keeps the rest", async () => {
    expect((await getSettings()).limits).toEqual({ memoryMb: null, cpus: null, pidsLimit: null });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { limits: { memoryMb: 256, cpus: 1.5 } } });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { limits: { pidsLimit: 99 } } });
    const settings = await getSettings();
    expect(toPublicSettings(settings).limits).toEqual({ memoryMb: 256, cpus: 1.5, pidsLimit: 99 });
    const inst = { id: "rs1", name: "rs" };
    expect((await resolveSpec({ instance: inst, current: null, input: {}, settings })).limits).toEqual({ memoryMb: 256, cpus: 1.5, pidsLimit: 99 });
    expect((await resolveSpec({ instance: inst, current: null, input: { limits: { cpus: null, memoryMb: 64 } }, settings })).limits).toEqual({ memoryMb: 64, cpus: null, pidsLimit: 99 });
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: { limits: { cpus: -1 } } })).rejects.toMatchObject({ code: "VALIDATION", field: "limits.cpus" });
  });

  it("a redeploy changes only what it sends; volume names are resolved; bind mounts need WHARF_BIND_ROOT", async () => {
    const settings = await getSettings();
    const inst = { id: "rs2", name: "rs2" };
    const current = await resolveSpec({ instance: inst, current: null, input: { mounts: [{ type: "volume", target: "/data" }], command: ["a"], deployStrategy: "stop-first" }, settings });
    expect(current.mounts).toEqual([{ type: "volume", name: expect.stringMatching(/^wharf-rs2-data-[0-9a-f]{6}$/), target: "/data" }]);
    const next = await resolveSpec({ instance: inst, current, input: { command: null }, settings });
    expect(next).toEqual({ ...current, command: null });
    delete process.env.WHARF_BIND_ROOT;
    resetEnvCache();
    await expect(resolveSpec({ instance: inst, current, input: { mounts: [{ type: "bind", source: "/srv/x", target: "/x" }] }, settings })).rejects.toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringMatching(/bind mounts are off/) });
  });

  it("refuses a volume another instance mounts, naming the mount", async () => {
    const settings = await getSettings();
    const spec = await resolveSpec({ instance: { id: "owner", name: "owner" }, current: null, input: { mounts: [{ type: "volume", name: "shared-data", target: "/d" }] }, settings });
    await db.instance.create({ data: { id: "owner", name: "owner", image: "x", subdomain: "owner", port: 80, ...specColumns(spec) } });
    await expect(resolveSpec({ instance: { id: "other", name: "other" }, current: null, input: { mounts: [{ type: "volume", target: "/a" }, { type: "volume", name: "shared-data", target: "/b" }] }, settings })).rejects.toMatchObject({
      code: "CONFLICT",
      field: "mounts.1.name",
    });
  });
});
describe("deploy tokens", () => {
  it("may redeploy an image but not change mounts, limits or commands", async () => {
    const { redeployInstance } = await import("./redeploy-instance");
    const ci = { kind: "token" as const, label: "ci", role: "admin" as const, scope: "instance:i1:redeploy" };
    for (const body of [{ mounts: [{ type: "bind", source: "/srv/x", target: "/x" }] }, { limits: { cpus: 1 } }, { command: ["sh"] }, { image: "app:2", deployStrategy: "stop-first" }]) {
      await expect(redeployInstance({ actor: ci, id: "i1", body })).rejects.toMatchObject({ code: "FORBIDDEN", field: Object.keys(body).find((k) => k !== "image") });
    }
  });
});
