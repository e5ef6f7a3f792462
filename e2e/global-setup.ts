import { mkdirSync } from "node:fs";
import { request, type FullConfig } from "@playwright/test";
import { ADMIN, STATE, VIEWER, apiLogin } from "./fixtures/auth";

// Seeds through the API: the admin comes from WHARF_ADMIN_* (see playwright.config.ts),
// the viewer is created by the admin; both sessions are saved for the specs.
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  mkdirSync("e2e/.auth", { recursive: true });
  const headers = { origin: new URL(baseURL).origin };
  const admin = await request.newContext({ baseURL, extraHTTPHeaders: headers });
  await apiLogin(admin, ADMIN);
  const res = await admin.post("/api/users", { data: { email: VIEWER.email, password: VIEWER.password, role: "viewer" } });
  if (![201, 409].includes(res.status())) throw new Error(`creating the viewer failed: ${res.status()} ${await res.text()}`);
  await admin.storageState({ path: STATE.admin });
  const viewer = await request.newContext({ baseURL, extraHTTPHeaders: headers });
  await apiLogin(viewer, VIEWER);
  await viewer.storageState({ path: STATE.viewer });
  await admin.dispose();
  await viewer.dispose();
}
