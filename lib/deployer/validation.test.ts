import { describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { createInstance } from "./create-instance";
import { ZImageSchema } from "./schemas";

// Validation happens before any Docker call, so these need no engine.
async function fieldOf(body: Record<string, unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await createInstance({ actor: SYSTEM_ACTOR, body });
  } catch (err) {
    return err as { code: string; field?: string; message: string };
  }
  throw new Error("expected createInstance to refuse");
}

const ok = { name: "app", image: "nginx:1.27", port: 80 };

describe("instance input validation", () => {
  it("names the field for bad names, ports and images", async () => {
    expect(await fieldOf({ ...ok, name: "MyApp" })).toMatchObject({ code: "VALIDATION", field: "name" });
    expect(await fieldOf({ ...ok, name: "a".repeat(64) })).toMatchObject({ code: "VALIDATION", field: "name" });
    expect(await fieldOf({ ...ok, name: "-app" })).toMatchObject({ code: "VALIDATION", field: "name" });
    expect(await fieldOf({ ...ok, port: 0 })).toMatchObject({ code: "VALIDATION", field: "port" });
    expect(await fieldOf({ ...ok, port: 70000 })).toMatchObject({ code: "VALIDATION", field: "port" });
    expect(await fieldOf({ ...ok, port: "eighty" })).toMatchObject({ code: "VALIDATION", field: "port" });
    expect(await fieldOf({ ...ok, image: "Nginx:Latest" })).toMatchObject({ code: "VALIDATION", field: "image" });
    expect(await fieldOf({ ...ok, image: "nginx::1" })).toMatchObject({ code: "VALIDATION", field: "image" });
    expect(await fieldOf({ ...ok, subdomain: "under_score" })).toMatchObject({ code: "VALIDATION", field: "subdomain" });
    expect(await fieldOf({ ...ok, env: [{ key: "1BAD", value: "x" }] })).toMatchObject({ code: "VALIDATION", field: "env.0.key" });
    expect(await fieldOf({ ...ok, healthPath: "health" })).toMatchObject({ code: "VALIDATION", field: "healthPath" });
    expect(await fieldOf({ ...ok, colour: "red" })).toMatchObject({ code: "VALIDATION", field: "colour" });
    expect(await fieldOf({ image: "nginx", port: 80 })).toMatchObject({ code: "VALIDATION", field: "name", message: "name: is required" });
  });

  it("accepts real-world image references", () => {
    for (const ref of ["nginx", "nginx:1.27-alpine", "library/nginx", "ghcr.io/org/app:v1.2.3", "localhost:5000/team/app", `app@sha256:${"a".repeat(64)}`, "wharf-test/web:v1"]) {
      expect(ZImageSchema.safeParse(ref).success, ref).toBe(true);
    }
  });

  it("refuses an FQDN already used by an instance or a standalone proxy", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "apps.example.com" } });
    await db.instance.create({ data: { id: "i-existing", name: "taken", image: "nginx", subdomain: "taken", port: 80 } });
    await db.standaloneProxy.create({ data: { domain: "shop.apps.example.com", upstream: "http://192.0.2.5:80" } });
    expect(await fieldOf({ ...ok, name: "taken" })).toMatchObject({ code: "CONFLICT", field: "name" });
    expect(await fieldOf({ ...ok, name: "other", subdomain: "taken" })).toMatchObject({ code: "CONFLICT", field: "subdomain" });
    expect(await fieldOf({ ...ok, name: "shop" })).toMatchObject({ code: "CONFLICT", field: "name" });
    expect(await db.instance.count()).toBe(1);
  });
});
