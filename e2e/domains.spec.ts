import { randomBytes } from "node:crypto";
import http from "node:http";
import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// A custom domain from the instance page alone, as a new user would: add it,
// read the record to create, create it in "their" DNS (the test PowerDNS,
// zone customer.test, which the server asks through WHARF_DNS_RESOLVER),
// Check now, and see it active and served by the real Caddy.
test.use({ storageState: STATE.admin });

const rand = randomBytes(4).toString("hex");
const CADDY = { type: "caddy", adminUrl: "http://127.0.0.1:2019", server: "wharf" };
const BASE = `e2e-${rand}.test`;
const ZONE = "customer.test";
const DOMAIN = `shop-${rand}.${ZONE}`;
const pdns = (method: string, p: string, body?: unknown) =>
  fetch(`http://127.0.0.1:8081/api/v1/servers/localhost${p}`, { method, headers: { "X-API-Key": "wharf-test-key", "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
async function rrset(name: string, type: string, records: string[]) {
  const res = await pdns("PATCH", `/zones/${ZONE}.`, { rrsets: [records.length ? { name: `${name}.`, type, ttl: 1, changetype: "REPLACE", records: records.map((content) => ({ content, disabled: false })) } : { name: `${name}.`, type, changetype: "DELETE" }] });
  // The negative answer of the first check may still be cached.
  await pdns("PUT", `/cache/flush?domain=${ZONE}.`);
  return res;
}

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

let instanceId = "";
let saved: { baseDomain: string; targetAddress: string } | null = null;

test.beforeAll(async ({ playwright, baseURL }) => {
  const created = await pdns("POST", "/zones", { name: `${ZONE}.`, kind: "Native", nameservers: [] });
  expect([201, 409]).toContain(created.status);
  const admin = await playwright.request.newContext({ baseURL, storageState: STATE.admin, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
  saved = await (await admin.get("/api/settings")).json();
  const put = await admin.put("/api/settings", { data: { baseDomain: BASE, targetAddress: "203.0.113.10", proxy: { provider: CADDY, upstream: { mode: "host", hostAddress: "127.0.0.1" } } } });
  expect(put.status(), await put.text()).toBe(200);
  const res = await admin.post("/api/instances", { data: { name: `dom-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
  expect(res.status(), await res.text()).toBe(202);
  instanceId = (await res.json()).id;
  await expect.poll(async () => (await (await admin.get(`/api/instances/${instanceId}`)).json()).status, { timeout: 60_000 }).toBe("running");
  await admin.dispose();
});

test.afterAll(async ({ playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL, storageState: STATE.admin, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
  if (instanceId) await admin.delete(`/api/instances/${instanceId}`);
  if (saved) await admin.put("/api/settings", { data: { baseDomain: saved.baseDomain, targetAddress: saved.targetAddress, proxy: { provider: null } } });
  await admin.dispose();
  await rrset(DOMAIN, "CNAME", []);
});

test("add a domain, see the record to create, create it, Check now, reach active and be served", async ({ page }) => {
  const fqdn = `dom-${rand}.${BASE}`;
  await page.goto(`/instances/${instanceId}`);
  const form = page.getByRole("form", { name: "Add domain" });
  await form.getByLabel("Domain").fill(DOMAIN);
  await form.getByRole("button", { name: "Add domain" }).click();

  const item = page.locator(`[data-testid="domain"][data-domain="${DOMAIN}"]`);
  // Nothing points there yet: failed, with what was found and what is expected.
  await expect(item.getByTestId("domain-state")).toHaveText("failed");
  await expect(item.getByTestId("domain-reason")).toHaveText(new RegExp(`^${DOMAIN.replace(/\./g, "\\.")} has no CNAME, A or AAAA record; expected CNAME to ${fqdn.replace(/\./g, "\\.")}`));
  const cname = item.getByTestId("domain-record-CNAME");
  await expect(cname).toContainText(DOMAIN);
  await expect(cname).toContainText(fqdn);
  await expect(item.getByTestId("domain-record-TXT")).toContainText(`_wharf-challenge.${DOMAIN}`);
  await expect(item.getByRole("button", { name: "Copy CNAME value" })).toBeVisible();

  // The operator creates the record shown, in their own zone.
  expect((await rrset(DOMAIN, "CNAME", [`${fqdn}.`])).status).toBe(204);
  await item.getByRole("button", { name: "Check now" }).click();
  await expect(item.getByTestId("domain-state")).toHaveText("active");
  await expect(item.getByTestId("domain-records")).toHaveCount(0);
  const served = await viaCaddy(DOMAIN);
  expect(served.status).toBe(200);
  expect(served.body).toContain("wharf-test v1");

  await page.goto("/instances");
  await expect(page.locator(`[data-instance="dom-${rand}"]`).getByTestId("instance-domain")).toHaveText(`${DOMAIN} active`);

  await page.goto(`/instances/${instanceId}`);
  page.once("dialog", (d) => d.accept());
  await item.getByRole("button", { name: "Remove" }).click();
  await expect(item).toHaveCount(0);
  expect((await viaCaddy(DOMAIN)).body).not.toContain("wharf-test");
});
