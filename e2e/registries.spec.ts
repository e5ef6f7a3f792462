import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Against the real authenticated docker-registry on 127.0.0.1:5050 (test/services/start.sh):
// the walk-through of issue 15's "Checked by", as a new user would do it.
test.use({ storageState: STATE.admin });
test.describe.configure({ mode: "serial" });

const rand = Date.now().toString(36);
const repo = `lab/e2e-${rand}`;
const image = `127.0.0.1:5050/${repo}:v1`;
const push = (src: string) => execFileSync("bash", ["test/images/push.sh", src, image], { encoding: "utf8" }).trim().split("@")[1];

let instanceUrl = "";
let digest1 = "";
let digest2 = "";

async function openInstance(page: Page) {
  await page.goto(instanceUrl);
  await expect(page.getByTestId("instance-status")).toBeVisible();
}

test("without credentials the deploy fails and names the registry and repository", async ({ page }) => {
  digest1 = push("wharf-test/web:v1");
  await page.goto("/instances/new");
  const form = page.getByRole("form", { name: "New instance" });
  await form.getByLabel("Name", { exact: true }).fill(`reg-${rand}`);
  await form.getByLabel("Image").fill(image);
  await form.getByLabel("Container port").fill("8080");
  await form.getByRole("button", { name: "Deploy" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `reg-${rand}` })).toBeVisible();
  instanceUrl = page.url();
  await expect(page.getByTestId("instance-status")).toHaveText("failed", { timeout: 60_000 });
  await expect(page.getByTestId("instance-error")).toContainText(`registry 127.0.0.1:5050 requires credentials for ${repo}`);
});

test("credentials in Settings: Test login tells a wrong password from the right one; the password is never shown again", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Registry settings" });
  const row = form.getByTestId("registry-row-0");
  await row.getByLabel("Registry host").fill("127.0.0.1:5050");
  await row.getByLabel("Username").fill("wharf-ci");
  await row.getByLabel("Password or token").fill("wrong-password");
  await row.getByRole("button", { name: "Test login" }).click();
  await expect(page.getByTestId("registry-test-result-0")).toHaveText("✗ registry 127.0.0.1:5050 refused the credentials for /v2/");
  await row.getByLabel("Password or token").fill("wharf-registry-pass");
  await row.getByRole("button", { name: "Test login" }).click();
  await expect(page.getByTestId("registry-test-result-0")).toHaveText("✓ logged in to 127.0.0.1:5050 as wharf-ci");
  await form.getByRole("button", { name: "Save registry settings" }).click();
  await expect(form).toContainText("Registry settings saved.");
  await page.reload();
  await expect(page.getByTestId("registry-row-0").getByLabel("Password or token")).toHaveAttribute("placeholder", /set — leave blank to keep/);
  const api = await (await page.request.get("/api/settings")).text();
  expect(api).not.toContain("wharf-registry-pass");
  expect(JSON.parse(api).registries).toEqual([{ host: "127.0.0.1:5050", username: "wharf-ci", passwordSet: true }]);
});

test("with credentials the redeploy pulls: the pull step shows its progress bar and bytes, the history the digest", async ({ page }) => {
  await openInstance(page);
  await page.getByRole("form", { name: "Redeploy" }).getByRole("button", { name: "Redeploy" }).click();
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });
  const latest = page.getByTestId("deployments").locator("li").first();
  await expect(latest.getByTestId("pull-progress")).toContainText(/100% · [\d.]+ kB of [\d.]+ kB · \d+\/\d+ layers/);
  await expect(latest.getByTestId("deployment-digest")).toHaveText(digest1);
  await expect(page.getByTestId("instance-digest")).toHaveText(digest1);
});

test("a new push of v1 shows update available; with auto-update on, the check redeploys to the new digest", async ({ page }) => {
  digest2 = push("wharf-test/web:v2");
  await openInstance(page);
  const updates = page.getByTestId("instance-updates");
  await updates.getByRole("button", { name: "Check now" }).click();
  await expect(page.getByTestId("update-check-result")).toContainText("Update available");
  await expect(updates).toContainText("update available");
  await updates.getByRole("checkbox", { name: /Auto-update/ }).check();
  await expect(updates).toContainText("Auto-update on.");
  await updates.getByRole("button", { name: "Check now" }).click();
  await expect(page.getByTestId("update-check-result")).toContainText("Auto-update started");
  await expect(page.getByTestId("instance-digest")).toHaveText(digest2, { timeout: 60_000 });
  await expect(page.getByTestId("instance-status")).toHaveText("running");
  await expect(page.getByTestId("deployments").locator("li").first()).toContainText("update");
});

test("roll back: the old digest runs although the tag has moved", async ({ page }) => {
  await openInstance(page);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Roll back", exact: true }).click();
  await expect(page.getByTestId("instance-digest")).toHaveText(digest1, { timeout: 60_000 });
  await expect(page.getByTestId("instance-status")).toHaveText("running");
});

test("roll back to any deployment from the history: \"Roll back to this\" on the auto-update brings its digest back", async ({ page }) => {
  await openInstance(page);
  const history = page.getByTestId("deployments");
  // Offered on successful deployments only, and not on the one serving now.
  await expect(history.locator(":scope > li").first()).toContainText("rollback");
  await expect(history.locator(":scope > li").first().getByRole("button", { name: "Roll back to this" })).toHaveCount(0);
  const update = history.locator(":scope > li").filter({ has: page.locator("span.font-medium", { hasText: /^update$/ }) }).first();
  page.once("dialog", (d) => d.accept());
  await update.getByRole("button", { name: "Roll back to this" }).click();
  await expect(page.getByTestId("instance-digest")).toHaveText(digest2, { timeout: 60_000 });
  await expect(page.getByTestId("instance-status")).toHaveText("running");
  await expect(history.locator(":scope > li").first()).toContainText("rollback");
  await expect(history.locator(":scope > li").first().getByTestId("deployment-digest")).toHaveText(digest2);
});

test("a deploy token redeploys its instance and gets 403 on anything else", async ({ page, playwright }) => {
  await openInstance(page);
  await page.getByLabel("Deploy token name").fill("ci");
  await page.getByRole("button", { name: "Create deploy token" }).click();
  const token = (await page.getByTestId("new-deploy-token").textContent())!.trim();
  expect(token).toMatch(/^wharf_/);
  await expect(page.getByTestId("deploy-tokens")).toContainText("ci");
  const id = instanceUrl.split("/").pop()!;
  const ci = await playwright.request.newContext({ baseURL: new URL(instanceUrl).origin, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const redeploy = await ci.post(`/api/instances/${id}/redeploy`, { data: { image } });
  expect(redeploy.status()).toBe(202);
  expect((await ci.get(`/api/instances/${id}`)).status()).toBe(403);
  expect((await ci.get("/api/instances")).status()).toBe(403);
  expect((await ci.delete(`/api/instances/${id}`)).status()).toBe(403);
  expect((await ci.get("/api/settings")).status()).toBe(403);
  await expect(page.getByTestId("instance-digest")).toHaveText(digest2, { timeout: 60_000 });
  await ci.dispose();
});

test.afterAll(async ({ browser }) => {
  if (!instanceUrl) return;
  const ctx = await browser.newContext({ storageState: STATE.admin });
  const origin = new URL(instanceUrl).origin;
  await ctx.request.delete(`${origin}/api/instances/${instanceUrl.split("/").pop()}`, { headers: { origin } }).catch(() => undefined);
  await ctx.close();
});
