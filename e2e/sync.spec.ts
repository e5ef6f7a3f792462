import { readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Reconciliation from the UI against real PowerDNS: a record deleted behind
// Wharf's back is shown by a dry run, put back by "Sync now", and the run is
// on /activity. The cron route answers only with the generated CRON_SECRET.

const PDNS = { api: "http://127.0.0.1:8081", key: "wharf-test-key" };
const ZONE = `sync-${randomBytes(4).toString("hex")}.test`;
const pdns = (method: string, p: string, body?: unknown) =>
  fetch(`${PDNS.api}/api/v1/servers/localhost${p}`, { method, headers: { "X-API-Key": PDNS.key, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
const rrsets = async () => ((await (await pdns("GET", `/zones/${ZONE}.`)).json()) as { rrsets: { name: string; type: string }[] }).rrsets.filter((r) => r.type === "A").map((r) => r.name);

test.describe.configure({ mode: "serial" });
test.use({ storageState: STATE.admin });

let proxyId = "";

test.beforeAll(async ({ request }) => {
  expect((await pdns("POST", "/zones", { name: `${ZONE}.`, kind: "Native", nameservers: [`ns1.${ZONE}.`] })).status).toBe(201);
  const put = await request.put("/api/settings?confirmDnsCleanup=true", {
    data: { baseDomain: ZONE, targetAddress: "203.0.113.20", proxy: { provider: null }, dns: { mode: "managed", provider: { type: "powerdns", apiUrl: PDNS.api, apiKey: PDNS.key, zone: ZONE } } },
  });
  expect(put.status(), await put.text()).toBe(200);
  const res = await request.post("/api/proxies", { data: { domain: `shop.${ZONE}`, upstream: "http://127.0.0.1:9" } });
  expect(res.status(), await res.text()).toBe(201);
  proxyId = (await res.json()).id;
});

test.afterAll(async ({ request }) => {
  await request.delete(`/api/proxies/${proxyId}`);
  await request.put("/api/settings?confirmDnsCleanup=true", { data: { dns: { mode: "wildcard" } } });
  await pdns("DELETE", `/zones/${ZONE}.`);
});

test("a dry run shows the missing record, Sync now re-creates it, and the run is on Activity", async ({ page }) => {
  expect(await rrsets()).toContain(`shop.${ZONE}.`);
  // Behind Wharf's back:
  const del = await pdns("PATCH", `/zones/${ZONE}.`, { rrsets: [{ name: `shop.${ZONE}.`, type: "A", changetype: "DELETE" }] });
  expect(del.status).toBe(204);
  expect(await rrsets()).not.toContain(`shop.${ZONE}.`);

  await page.goto("/dns");
  await page.getByRole("button", { name: "Preview (dry run)" }).click();
  const report = page.getByTestId("sync-report");
  await expect(report).toContainText("Dry run — nothing was changed");
  await expect(report).toContainText("1 created");
  await expect(report).toContainText(`shop.${ZONE}`);
  expect(await rrsets()).not.toContain(`shop.${ZONE}.`);

  await page.getByRole("button", { name: "Sync now" }).click();
  await expect(report).toContainText("Sync finished");
  await expect(report).toContainText("1 created");
  expect(await rrsets()).toContain(`shop.${ZONE}.`);
  await expect(page.getByTestId("dns-records")).toContainText("synced");

  await page.goto("/activity");
  await expect(page.getByTestId("sync-runs")).toContainText("manual");
  await expect(page.getByTestId("sync-runs")).toContainText("created 1");
});

test("the cron route needs the bearer secret", async ({ playwright, baseURL }) => {
  const anon = await playwright.request.newContext({ baseURL });
  expect((await anon.get("/api/cron/sync")).status()).toBe(401);
  expect((await anon.get("/api/cron/sync", { headers: { authorization: "Bearer wrong-secret" } })).status()).toBe(401);
  // Zero configuration: the secret was generated under the server's data folder.
  const { cronSecret } = JSON.parse(readFileSync(path.join(process.env.E2E_DATA_DIR!, "secrets.json"), "utf8")) as { cronSecret: string };
  const res = await anon.get("/api/cron/sync", { headers: { authorization: `Bearer ${cronSecret}` } });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ trigger: "cron", dryRun: false, mode: "managed", failed: 0 });
  expect(body.alreadySynced).toBeGreaterThanOrEqual(1);
  await anon.dispose();
});
