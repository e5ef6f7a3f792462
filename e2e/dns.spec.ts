import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import path from "node:path";
import { expect, request, test, type APIRequestContext } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Managed DNS end to end with the real PowerDNS of test/services/start.sh:
// a throw-away zone per run, configured through the settings UI, and every
// claim about a record checked by asking PowerDNS over DNS on 127.0.0.1:5300.

const PDNS = { api: "http://127.0.0.1:8081", key: "wharf-test-key" };
const ZONE = `e2e-${randomBytes(4).toString("hex")}.test`;
const TARGET = "203.0.113.10";
const WEB = `web.${ZONE}`;
const API = `api.${ZONE}`;

const pdns = (method: string, p: string, body?: unknown) =>
  fetch(`${PDNS.api}/api/v1/servers/localhost${p}`, {
    method,
    headers: { "X-API-Key": PDNS.key, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const resolver = new Resolver({ timeout: 2_000, tries: 2 });
resolver.setServers(["127.0.0.1:5300"]);
const resolveA = (fqdn: string) => resolver.resolve4(fqdn).catch((err: NodeJS.ErrnoException) => err.code ?? "error");

test.describe.configure({ mode: "serial" });
test.use({ storageState: STATE.admin });

let admin: APIRequestContext;
const proxyIds: string[] = [];

async function createProxy(domain: string): Promise<string> {
  const res = await admin.post("/api/proxies", { data: { domain, upstream: "http://127.0.0.1:9" } });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  proxyIds.push(id);
  return id;
}

test.beforeAll(async ({ baseURL }) => {
  const up = await pdns("GET", "").then((r) => r.ok).catch(() => false);
  if (!up) execFileSync("bash", [path.resolve("test/services/start.sh")], { stdio: "inherit" });
  expect((await pdns("POST", "/zones", { name: `${ZONE}.`, kind: "Native", nameservers: [`ns1.${ZONE}.`] })).status).toBe(201);
  admin = await request.newContext({ baseURL, storageState: STATE.admin });
  // Start from wildcard mode on this zone, whatever earlier specs left behind;
  // no reverse proxy, so that creating a proxy depends on nothing but Wharf (an
  // earlier spec may have pointed it at a proxy manager that is not running).
  const res = await admin.put("/api/settings?confirmDnsCleanup=true", {
    data: { baseDomain: ZONE, targetAddress: TARGET, dns: { mode: "wildcard" }, proxy: { provider: null } },
  });
  expect(res.status(), await res.text()).toBe(200);
});

test.afterAll(async () => {
  await admin.put("/api/settings?confirmDnsCleanup=true", { data: { dns: { mode: "wildcard" } } });
  for (const id of proxyIds) await admin.delete(`/api/proxies/${id}`);
  await admin.dispose();
  await pdns("DELETE", `/zones/${ZONE}.`);
});

test("managed mode set up in the settings UI creates the existing proxy's record, shown as synced", async ({ page }) => {
  const id = await createProxy(WEB);
  await page.goto("/dns");
  await expect(page.locator(`tr[data-fqdn="${WEB}"]`).getByTestId("dns-status")).toHaveText("covered by wildcard");

  await page.goto("/settings");
  const form = page.getByRole("form", { name: "DNS settings" });
  await form.getByRole("checkbox", { name: /Wildcard DNS/ }).uncheck();
  await form.getByLabel("DNS provider").selectOption("powerdns");
  await form.getByLabel("API URL").fill(PDNS.api);
  await form.getByLabel("API key").fill(PDNS.key);
  await form.getByRole("button", { name: "Load zones" }).click();
  await form.getByRole("combobox", { name: "Zone", exact: true }).selectOption(ZONE); // the text field turns into a selector once zones load
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByTestId("dns-test-result")).toHaveText(new RegExp(`^✓ Connected to PowerDNS .*zone ${ZONE.replace(/\./g, "\\.")}$`));
  await form.getByRole("button", { name: "Save DNS settings" }).click();
  await expect(form.getByRole("status").filter({ hasText: "DNS settings saved." })).toBeVisible();

  await page.goto("/dns");
  const row = page.locator(`tr[data-fqdn="${WEB}"]`);
  await expect(row.getByTestId("dns-status")).toHaveText("synced");
  await expect(row).toContainText(TARGET);
  await expect(row.getByRole("link", { name: WEB })).toHaveAttribute("href", `/proxies/${id}`);
  expect(await resolveA(WEB)).toEqual([TARGET]);

  const listed = await (await admin.get("/api/dns/records")).json();
  expect(listed.mode).toBe("managed");
  expect(listed.records).toContainEqual(expect.objectContaining({ fqdn: WEB, type: "A", content: TARGET, consumerType: "standalone", consumerId: id, status: "synced", providerRecordId: `${WEB}|A`, lastError: null }));
});

test("a wrong API key shows PowerDNS's own error under Test connection", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "DNS settings" });
  await form.getByLabel("API key").fill("not-the-key");
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByTestId("dns-test-result")).toHaveText("✗ Unauthorized");
});

test("an owned record is deleted from /dns; a name Wharf did not create is refused with 404", async ({ page }) => {
  await page.goto("/dns");
  const row = page.locator(`tr[data-fqdn="${WEB}"]`);
  await row.getByRole("button", { name: `Delete ${WEB}` }).click();
  await row.getByRole("alertdialog").getByRole("button", { name: "Delete record" }).click();
  // The proxy still exists, so its name stays listed: expected, no longer in the ledger.
  await expect(row.getByTestId("dns-status")).toHaveText("missing");
  await expect(row.getByRole("button", { name: `Delete ${WEB}` })).toHaveCount(0);
  expect(await resolveA(WEB)).toBe("ENOTFOUND");

  const foreign = await admin.delete(`/api/dns/records/ns1.${ZONE}`);
  expect(foreign.status()).toBe(404);
  expect((await foreign.json()).error.message).toContain("only deletes records it created");
});

test("leaving managed mode lists the owned records first; cancel keeps managed mode, confirm removes them", async ({ page }) => {
  await createProxy(API); // managed mode now: the create hook makes the record right away
  expect(await resolveA(API)).toEqual([TARGET]);

  const refused = await admin.put("/api/settings", { data: { dns: { mode: "wildcard" } } });
  expect(refused.status()).toBe(409);
  const { error } = await refused.json();
  expect(error.code).toBe("CONFLICT");
  expect(error.message).toContain(`1 record it created at powerdns (zone ${ZONE}): ${API}`);

  await page.goto("/settings");
  const form = page.getByRole("form", { name: "DNS settings" });
  await form.getByRole("checkbox", { name: /Wildcard DNS/ }).check();
  await form.getByRole("button", { name: "Save DNS settings" }).click();
  const dialog = form.getByRole("alertdialog", { name: "Confirm DNS record removal" });
  await expect(dialog.getByTestId("dns-cleanup-records")).toContainText(API);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(form.getByRole("status")).toHaveText("Not saved: the DNS settings are unchanged.");
  await expect(form.getByRole("checkbox", { name: /Wildcard DNS/ })).not.toBeChecked();
  expect((await (await admin.get("/api/settings")).json()).dns.mode).toBe("managed");
  expect(await resolveA(API)).toEqual([TARGET]);

  await form.getByRole("checkbox", { name: /Wildcard DNS/ }).check();
  await form.getByRole("button", { name: "Save DNS settings" }).click();
  await dialog.getByRole("button", { name: "Remove 1 record and save" }).click();
  await expect(form.getByRole("status")).toHaveText("DNS settings saved.");
  expect((await (await admin.get("/api/settings")).json()).dns.mode).toBe("wildcard");
  expect(await resolveA(API)).toBe("ENOTFOUND");
  await page.goto("/dns");
  await expect(page.locator(`tr[data-fqdn="${API}"]`).getByTestId("dns-status")).toHaveText("covered by wildcard");
});

test("a viewer sees the DNS page read-only", async ({ browser }) => {
  const ctx = await browser.newContext({ storageState: STATE.viewer });
  const page = await ctx.newPage();
  await page.goto("/dns");
  await expect(page.getByText("Read-only: your role is viewer.")).toBeVisible();
  await expect(page.locator(`tr[data-fqdn="${API}"]`)).toBeVisible();
  await expect(page.getByRole("button", { name: /^Delete/ })).toHaveCount(0);
  expect((await page.request.delete(`/api/dns/records/${API}`)).status()).toBe(403);
  await ctx.close();
});
