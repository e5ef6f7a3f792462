import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";
import { CADDY_TLS, PEBBLE, createZone, deleteZone, httpsGet, listenerCaPem, pebbleRoot, setARecord } from "../test/helpers/tls";

// As a new user would: choose ACME with a private directory (Pebble) in
// Settings → TLS, route a domain through the TLS test Caddy, and see the
// certificate on the page; a client trusting only Pebble's root gets the app
// over HTTPS; a certificate that fails is on the dashboard.
test.use({ storageState: STATE.admin });

const rand = randomBytes(4).toString("hex");
const zone = `e2e-${rand}.test`;
let upstream: http.Server;
let upstreamPort = 0;
let saved: unknown;

test.beforeAll(async ({ playwright, baseURL }) => {
  upstream = http.createServer((req, res) => res.end(`tls-upstream ${req.headers.host}`));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = (upstream.address() as AddressInfo).port;
  await createZone(zone);
  const admin = await playwright.request.newContext({ baseURL, storageState: STATE.admin });
  saved = await (await admin.get("/api/settings")).json();
  await admin.dispose();
});

test.afterAll(async ({ playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL, storageState: STATE.admin });
  for (const p of ((await (await admin.get("/api/proxies")).json()).proxies ?? []) as { id: string; domain: string }[]) {
    if (p.domain.endsWith(zone)) await admin.delete(`/api/proxies/${p.id}`);
  }
  const s = saved as { baseDomain: string; tls: { mode: string } };
  await admin.put("/api/settings", { data: { baseDomain: s.baseDomain, proxy: { provider: null }, tls: { mode: s.tls.mode } } });
  await admin.dispose();
  await deleteZone(zone);
  await new Promise((r) => upstream.close(r));
});

test("ACME with a private directory: the proxy shows https:// and its certificate, HTTPS verifies against the CA's root, a failure warns on the dashboard", async ({ page, request }) => {
  expect((await request.put("/api/settings", { data: { baseDomain: zone, proxy: { provider: { type: "caddy", adminUrl: CADDY_TLS.admin, server: CADDY_TLS.server } } } })).status()).toBe(200);

  await page.goto("/settings");
  const form = page.getByRole("form", { name: "TLS settings" });
  await form.getByLabel("Certificates").selectOption("acme");
  await form.getByLabel("ACME directory URL").fill(PEBBLE.directory);
  await form.getByLabel("Account e-mail").fill("ops@example.dev");
  await form.getByLabel(/Extra trusted root/).fill(listenerCaPem().trim());
  await form.getByRole("button", { name: "Save TLS settings" }).click();
  await expect(form.getByText("TLS settings saved")).toBeVisible();
  const settings = await (await request.get("/api/settings")).json();
  expect(settings.tls).toMatchObject({ mode: "acme", acme: { directoryUrl: PEBBLE.directory, email: "ops@example.dev" } });

  const domain = `shop-${rand}.${zone}`;
  await setARecord(zone, domain, "127.0.0.1");
  const created = await request.post("/api/proxies", { data: { domain, upstream: `http://127.0.0.1:${upstreamPort}` } });
  expect(created.status()).toBe(201);
  const proxy = await created.json();
  expect(proxy.tls).toMatchObject({ status: "issued", issuer: expect.stringMatching(/Pebble/) });

  await page.goto("/proxies");
  const row = page.getByTestId("proxy-row").filter({ hasText: domain });
  await expect(row.getByTestId("certificate")).toHaveAttribute("data-status", "issued");
  await expect(row.getByTestId("certificate-detail")).toContainText(`until ${new Date(proxy.tls.notAfter).toISOString().slice(0, 10)}`);
  await expect(row.getByRole("link", { name: `https://${domain}` })).toBeVisible();

  const res = await httpsGet({ port: CADDY_TLS.httpsPort, servername: domain, ca: await pebbleRoot() });
  expect(res).toMatchObject({ status: 200, body: `tls-upstream ${domain}` });

  // No record for this one: Pebble refuses, the proxy serves HTTP, the dashboard says why.
  const nowhere = `nowhere-${rand}.${zone}`;
  const failed = await (await request.post("/api/proxies", { data: { domain: nowhere, upstream: `http://127.0.0.1:${upstreamPort}` } })).json();
  expect(failed.tls.status).toBe("failed");
  await page.goto("/");
  const warning = page.getByTestId("certificate-warning");
  await expect(warning).toContainText(nowhere);
  await expect(warning).toContainText("urn:ietf:params:acme:error");
  const health = await (await request.get("/api/health")).json();
  expect(health.tls).toBe("degraded");
});
