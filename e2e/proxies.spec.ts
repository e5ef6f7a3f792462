import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Standalone proxies through the UI against the real Caddy of
// test/services/start.sh (admin 127.0.0.1:2019, server "wharf" on 127.0.0.1:8480).
test.use({ storageState: STATE.admin });

const rand = randomBytes(4).toString("hex");
const CADDY = { type: "caddy", adminUrl: "http://127.0.0.1:2019", server: "wharf" };
let upstream: http.Server;
let upstreamPort: number;

/** node:http, not fetch: Caddy may answer 403 to fetch's Sec-Fetch-Mode. */
function viaCaddy(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: 8480, path: "/", headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from Caddy for ${host}`)));
    req.on("error", reject);
  });
}

test.beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end(`upstream-${rand}`));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = (upstream.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((r) => upstream.close(r));
});

// Leave nothing behind for other specs, even after a failure: this suite's
// proxies (and so their Caddy routes) first, then no proxy provider.
test.afterEach(async ({ playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL, storageState: STATE.admin });
  const list = await admin.get("/api/proxies");
  for (const p of ((await list.json()).proxies ?? []) as { id: string; domain: string }[]) {
    if (p.domain.includes(rand)) await admin.delete(`/api/proxies/${p.id}`);
  }
  expect((await admin.put("/api/settings", { data: { proxy: { provider: null } } })).status()).toBe(200);
  await admin.dispose();
});

test("a proxy is created, served through Caddy, renamed and deleted from the UI", async ({ page }) => {
  expect((await page.request.put("/api/settings", { data: { proxy: { provider: CADDY } } })).status()).toBe(200);
  const domain = `p-${rand}.wharf.test`;
  const renamed = `q-${rand}.wharf.test`;

  await page.goto("/proxies");
  const create = page.getByRole("form", { name: "Create proxy" });
  await create.getByLabel("Domain").fill(domain);
  await create.getByLabel("Upstream URL").fill(`http://127.0.0.1:${upstreamPort}`);
  await create.getByLabel("WebSockets").check();
  await create.getByRole("button", { name: "Create proxy" }).click();
  await expect(create.getByRole("status")).toHaveText(`Proxy ${domain} created.`);
  await expect(create.getByLabel("Domain")).toHaveValue("");

  const row = page.getByTestId("proxy-row").filter({ hasText: domain });
  await expect(row.getByTestId("route-status")).toHaveText("active");
  await expect(row.getByTestId("dns-status")).toHaveText("wildcard");
  await expect(row).toContainText(`http://127.0.0.1:${upstreamPort}`);
  await expect(row).toContainText("WebSockets");
  expect(await viaCaddy(domain)).toEqual({ status: 200, body: `upstream-${rand}` });

  await row.getByRole("link", { name: domain, exact: true }).click();
  const edit = page.getByRole("form", { name: "Edit proxy" });
  await expect(edit.getByLabel("Domain")).toHaveValue(domain);
  await edit.getByLabel("Domain").fill(renamed);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit.getByRole("status")).toHaveText(`Proxy ${renamed} updated.`);
  await expect(page.getByRole("heading", { name: renamed })).toBeVisible();
  expect(await viaCaddy(renamed)).toEqual({ status: 200, body: `upstream-${rand}` });
  // Caddy answers a host no route matches with an empty 200.
  expect(await viaCaddy(domain)).toEqual({ status: 200, body: "" });

  await page.getByRole("link", { name: "All proxies" }).click();
  const renamedRow = page.getByTestId("proxy-row").filter({ hasText: renamed });
  await expect(renamedRow.getByTestId("route-status")).toHaveText("active");
  const dialogs: string[] = [];
  page.once("dialog", (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  await renamedRow.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText(`Proxy ${renamed} deleted.`)).toBeVisible();
  await expect(page.getByTestId("proxy-row").filter({ hasText: renamed })).toHaveCount(0);
  expect(dialogs).toEqual([expect.stringContaining(renamed)]);
  expect(await viaCaddy(renamed)).toEqual({ status: 200, body: "" });
  const api = await page.request.get("/api/proxies");
  expect(((await api.json()).proxies as { domain: string }[]).some((p) => p.domain.includes(rand))).toBe(false);
});

test("a bad upstream is refused with the error under the field, keeping the input", async ({ page }) => {
  await page.goto("/proxies");
  const create = page.getByRole("form", { name: "Create proxy" });
  await create.getByLabel("Domain").fill(`bad-${rand}.wharf.test`);
  await create.getByLabel("Upstream URL").fill("http://127.0.0.1:8080/app");
  await create.getByRole("button", { name: "Create proxy" }).click();
  await expect(create.locator('[data-field-error="upstream"]')).toContainText("must not have a path (/app)");
  await expect(create.getByLabel("Upstream URL")).toHaveValue("http://127.0.0.1:8080/app");
  await expect(create.getByLabel("Domain")).toHaveValue(`bad-${rand}.wharf.test`);
  await expect(page.getByTestId("proxy-row").filter({ hasText: `bad-${rand}` })).toHaveCount(0);
});

test("the REST API creates, reads, changes and deletes a proxy with the documented codes", async ({ page }) => {
  const api = page.request;
  const bad = await api.post("/api/proxies", { data: { domain: `api-${rand}.wharf.test`, upstream: "ftp://192.0.2.10" } });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error).toMatchObject({ code: "VALIDATION", field: "upstream" });

  const created = await api.post("/api/proxies", { data: { domain: `api-${rand}.wharf.test`, upstream: "http://192.0.2.10" } });
  expect(created.status()).toBe(201);
  const p = await created.json();
  expect(p).toMatchObject({ domain: `api-${rand}.wharf.test`, upstream: "http://192.0.2.10:80", websockets: false, forceTls: false, route: { status: "not_configured" }, dns: { status: "wildcard" } });
  expect((await api.post("/api/proxies", { data: { domain: `api-${rand}.wharf.test`, upstream: "http://192.0.2.11" } })).status()).toBe(409);

  const patched = await api.patch(`/api/proxies/${p.id}`, { data: { upstream: "https://192.0.2.12:8443", forceTls: false } });
  expect(patched.status()).toBe(200);
  expect((await patched.json()).upstream).toBe("https://192.0.2.12:8443");
  expect((await (await api.get(`/api/proxies/${p.id}`)).json()).upstream).toBe("https://192.0.2.12:8443");

  expect((await api.delete(`/api/proxies/${p.id}`)).status()).toBe(204);
  const gone = await api.get(`/api/proxies/${p.id}`);
  expect(gone.status()).toBe(404);
  expect((await gone.json()).error.code).toBe("NOT_FOUND");
});

test.describe("as a viewer", () => {
  test.use({ storageState: STATE.viewer });

  test("the list is read-only and the API refuses a change", async ({ page, playwright, baseURL }) => {
    const admin = await playwright.request.newContext({ baseURL, storageState: STATE.admin });
    const created = await admin.post("/api/proxies", { data: { domain: `v-${rand}.wharf.test`, upstream: "http://192.0.2.10:8080" } });
    expect(created.status()).toBe(201);
    const p = (await created.json()) as { id: string; route: { status: string } };
    expect(p.route.status).toBe("not_configured");
    try {
      await page.goto("/proxies");
      const row = page.getByTestId("proxy-row").filter({ hasText: `v-${rand}.wharf.test` });
      await expect(row.getByTestId("route-status")).toHaveText("not_configured");
      await expect(page.getByRole("form", { name: "Create proxy" })).toHaveCount(0);
      await expect(row.getByRole("button", { name: "Delete" })).toHaveCount(0);
      await page.goto(`/proxies/${p.id}`);
      await expect(page.getByRole("heading", { name: `v-${rand}.wharf.test` })).toBeVisible();
      await expect(page.getByRole("form", { name: "Edit proxy" })).toHaveCount(0);

      const refused = await page.request.patch(`/api/proxies/${p.id}`, { data: { upstream: "http://192.0.2.11:8080" } });
      expect(refused.status()).toBe(403);
      expect((await refused.json()).error.code).toBe("FORBIDDEN");
      expect((await page.request.delete(`/api/proxies/${p.id}`)).status()).toBe(403);
      expect(((await (await page.request.get(`/api/proxies/${p.id}`)).json()) as { upstream: string }).upstream).toBe("http://192.0.2.10:8080");
    } finally {
      expect((await admin.delete(`/api/proxies/${p.id}`)).status()).toBe(204);
      await admin.dispose();
    }
  });
});
