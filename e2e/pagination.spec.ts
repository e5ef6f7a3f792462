import { randomBytes } from "node:crypto";
import { expect, request, test, type APIRequestContext, type Page } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// /dns pages through a filtered list: the filter, the page size and the order
// stay in the URL from page to page, each page shows its own rows, and the
// total counts the filtered rows, not the page.

const RAND = randomBytes(3).toString("hex");
const N = 60;
const domain = (i: number) => `pg${RAND}-${String(i).padStart(2, "0")}.wharf.test`;

test.describe.configure({ mode: "serial" });
test.use({ storageState: STATE.admin });

let admin: APIRequestContext;
const ids: string[] = [];

test.beforeAll(async ({ baseURL }) => {
  admin = await request.newContext({ baseURL, storageState: STATE.admin });
  // Wildcard mode and no reverse proxy: creating a proxy depends on nothing but Wharf.
  const res = await admin.put("/api/settings?confirmDnsCleanup=true", { data: { dns: { mode: "wildcard" }, proxy: { provider: null } } });
  expect(res.status(), await res.text()).toBe(200);
  for (let i = 0; i < N; i++) {
    const created = await admin.post("/api/proxies", { data: { domain: domain(i), upstream: "http://192.0.2.10:8080" } });
    expect(created.status(), await created.text()).toBe(201);
    ids.push(((await created.json()) as { id: string }).id);
  }
  // Rows the filter must leave out.
  for (const d of [`other${RAND}.wharf.test`, `x-pg${RAND}.example.test`]) {
    const created = await admin.post("/api/proxies", { data: { domain: d, upstream: "http://192.0.2.11:8080" } });
    expect(created.status()).toBe(201);
    ids.push(((await created.json()) as { id: string }).id);
  }
});

test.afterAll(async () => {
  for (const id of ids) await admin.delete(`/api/proxies/${id}`);
  await admin.dispose();
});

const shown = (page: Page) => page.getByTestId("dns-records").locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-fqdn")));

test("pages through /dns with a text filter, 25 a page, keeping the filter and order in the URL", async ({ page }) => {
  await page.goto("/dns");
  await page.getByRole("search").getByLabel("Search").fill(`pg${RAND}-`);
  await page.getByRole("search").getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`q=pg${RAND}-`));
  await expect(page.getByTestId("total")).toContainText(`50 shown of ${N} records`);

  const pager = page.getByRole("navigation", { name: "records pages" });
  await pager.getByRole("link", { name: "25", exact: true }).click();
  await expect(page).toHaveURL(/limit=25/);
  await expect(page.getByTestId("total")).toContainText(`25 shown of ${N} records`);
  expect(await shown(page)).toEqual(Array.from({ length: 25 }, (_, i) => domain(i)));
  await expect(pager.getByText("Previous")).not.toHaveAttribute("href");

  await pager.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(new RegExp(`q=pg${RAND}-.*cursor=|cursor=.*q=pg${RAND}-`));
  await expect(page).toHaveURL(/limit=25/);
  await expect.poll(() => shown(page)).toEqual(Array.from({ length: 25 }, (_, i) => domain(25 + i)));
  await expect(page.getByRole("search").getByLabel("Search")).toHaveValue(`pg${RAND}-`);

  await pager.getByRole("link", { name: "Next" }).click();
  await expect.poll(() => shown(page)).toEqual(Array.from({ length: 10 }, (_, i) => domain(50 + i)));
  await expect(page.getByTestId("total")).toContainText(`10 shown of ${N} records`);
  await expect(pager.getByRole("link", { name: "Next" })).toHaveCount(0);

  await pager.getByRole("link", { name: "Previous" }).click();
  await expect.poll(() => shown(page)).toEqual(Array.from({ length: 25 }, (_, i) => domain(25 + i)));
  await pager.getByRole("link", { name: "First" }).click();
  await expect.poll(() => shown(page)).toEqual(Array.from({ length: 25 }, (_, i) => domain(i)));

  // Sorting by a column keeps the filter and the page size, and starts again at the first page.
  await page.getByTestId("dns-records").getByRole("link", { name: /^Name/ }).click();
  await expect(page).toHaveURL(/dir=desc/);
  await expect.poll(() => shown(page)).toEqual(Array.from({ length: 25 }, (_, i) => domain(N - 1 - i)));
  await expect(page.getByTestId("total")).toContainText(`25 shown of ${N} records`);
});

test("a bad page size in the URL is explained, not a crash", async ({ page }) => {
  await page.goto("/dns?limit=9999");
  await expect(page.getByRole("alert").filter({ hasText: "limit:" })).toContainText("limit: must be an integer from 1 to 500");
});
