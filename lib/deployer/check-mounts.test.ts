import { describe, expect, it } from "vitest";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import type { VolumeInfo } from "../docker/types";
import { checkVolume } from "./check-mounts";

// The volume rules of issue 21 against a runtime that knows a few volumes
// (the real engine is exercised by mount-escape.it.test.ts).
function runtimeWith(volumes: Record<string, Record<string, string>>, own: string[] = []) {
  const created: string[] = [];
  const rt = {
    ...fakeRuntime(),
    inspectVolume: async (name: string): Promise<VolumeInfo | null> => (volumes[name] ? { name, labels: volumes[name], createdAt: null, sizeBytes: null, refCount: null } : null),
    ensureVolume: async (name: string, labels: Record<string, string>) => {
      created.push(name);
      return { name, labels, createdAt: null, sizeBytes: null, refCount: null };
    },
    selfVolumeNames: async () => own,
  };
  return { rt, created };
}
const vol = (name: string, adopt?: boolean) => ({ type: "volume" as const, name, target: "/data", ...(adopt ? { adopt } : {}) });

describe("named volumes", () => {
  it("Wharf's own (wharf.managed=true) pass; a missing one is created with Wharf's labels at create", async () => {
    const { rt, created } = runtimeWith({ "wharf-web-data-abc123": { "wharf.managed": "true", "wharf.instance": "i1" } });
    await checkVolume({ rt, mount: vol("wharf-web-data-abc123"), field: "mounts.0.name", instanceId: "i2", create: true });
    await checkVolume({ rt, mount: vol("fresh-data"), field: "mounts.0.name", instanceId: "i2", create: true });
    expect(created).toEqual(["fresh-data"]);
  });

  it("a foreign volume is refused naming the mount, unless adopted", async () => {
    const { rt } = runtimeWith({ caddy_data: { "com.docker.compose.volume": "caddy_data" } });
    await expect(checkVolume({ rt, mount: vol("caddy_data"), field: "mounts.1.name", instanceId: "i", create: true })).rejects.toMatchObject({ code: "FORBIDDEN", field: "mounts.1.name", message: expect.stringContaining("not created by Wharf") });
    await expect(checkVolume({ rt, mount: vol("caddy_data", true), field: "mounts.1.name", instanceId: "i", create: true })).resolves.toBeUndefined();
  });

  it("Wharf's own data volume is never mounted, adopted or not", async () => {
    const { rt } = runtimeWith({ wharf_data: { "wharf.managed": "true" } }, ["wharf_data"]);
    for (const adopt of [false, true]) {
      await expect(checkVolume({ rt, mount: vol("wharf_data", adopt), field: "mounts.0.name", instanceId: "i", create: true })).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("Wharf's own data") });
    }
  });
});
