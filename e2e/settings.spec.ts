import { expect, test } from "@playwright/test";
import { startCloudflareDouble } from "../test/doubles/cloudflare-double";
import { STATE } from "./fixtures/auth";

test.use({ storageState: STATE.admin });

test("general settings round trip through the UI", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "General settings" });
  await form.getByLabel("Base domain").fill("apps.example.com");
  await form.getByLabel("Target address").fill("203.0.113.10");
  await form.getByLabel("Custom domain grace period (hours)").fill("24");
  await form.getByRole("button", { name: "Save general settings" }).click();
  await expect(form.getByRole("status")).toHaveText("General settings saved.");
  await page.reload();
  await expect(page.getByRole("form", { name: "General settings" }).getByLabel("Base domain")).toHaveValue("apps.example.com");
  await expect(page.getByRole("form", { name: "General settings" }).getByLabel("Custom domain grace period (hours)")).toHaveValue("24");
});

test("a negative grace period is refused under its field", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "General settings" });
  await form.getByLabel("Custom domain grace period (hours)").fill("-1");
  await form.getByRole("button", { name: "Save general settings" }).click();
  await expect(form.locator('[data-field-error="domains.graceHours"]')).toContainText("0 hours or more");
});

test("a bad value is refused with an error under the field", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "General settings" });
  await form.getByLabel("Base domain").fill("not a domain!");
  await form.getByRole("button", { name: "Save general settings" }).click();
  await expect(form.locator('[data-field-error="baseDomain"]')).toContainText("domain name");
  // The refused value stays in the field to be corrected.
  await expect(form.getByLabel("Base domain")).toHaveValue("not a domain!");
});

test("a DNS provider secret is saved, never shown again, and reported as set", async ({ page, request }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "DNS settings" });
  await form.getByLabel("DNS provider").selectOption("powerdns");
  await form.getByLabel("API URL").fill("http://127.0.0.1:8081");
  await form.getByLabel("API key").fill("super-secret-pdns-key");
  await form.getByLabel("Zone").fill("example.com");
  await form.getByRole("button", { name: "Save DNS settings" }).click();
  await expect(form.getByRole("status")).toHaveText("DNS settings saved.");
  await page.reload();
  const html = await page.content();
  expect(html).not.toContain("super-secret-pdns-key");
  await expect(page.getByRole("form", { name: "DNS settings" }).getByLabel("API key")).toHaveAttribute("placeholder", /set/);
  const api = await request.get("/api/settings");
  const body = await api.json();
  expect(JSON.stringify(body)).not.toContain("super-secret-pdns-key");
  expect(body.dns.provider).toMatchObject({ type: "powerdns", apiUrl: "http://127.0.0.1:8081", apiKeySet: true });
  expect(body.dns.provider.apiKey).toBeUndefined();
});

test("an API token is shown once and works as a bearer token", async ({ page, playwright, baseURL }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Create API token" });
  await form.getByLabel("Token name").fill("e2e-script");
  await form.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  expect(token).toMatch(/^wharf_/);
  const anon = await playwright.request.newContext({ baseURL });
  const res = await anon.get("/api/settings", { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await anon.dispose();
});

test("the installation id is shown read-only, and the Cloudflare zone field stays a text input when the zone list is empty", async ({ page, request }) => {
  const cf = await startCloudflareDouble({ tokens: ["e2e-zoneless-token"], zones: [] });
  try {
    const api = await (await request.get("/api/settings")).json();
    expect(api.installationId).toMatch(/^[A-Za-z0-9-]+$/);
    await page.goto("/settings");
    await expect(page.getByTestId("installation-id")).toHaveText(api.installationId);
    const form = page.getByRole("form", { name: "DNS settings" });
    await form.getByLabel("DNS provider").selectOption("cloudflare");
    await form.getByLabel("API token").fill("e2e-zoneless-token");
    await form.getByLabel("API base URL (optional)").fill(cf.url);
    await form.getByRole("button", { name: "Load zones" }).click();
    await expect(form.getByText("lists no zones for these credentials")).toBeVisible();
    const zone = form.getByRole("textbox", { name: "Zone" });
    await zone.fill("0123456789abcdef0123456789abcdef");
    await expect(zone).toHaveValue("0123456789abcdef0123456789abcdef");
  } finally {
    await cf.close();
  }
});
