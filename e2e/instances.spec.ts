import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Runs against the real Docker engine with the local test image (test/images/build.sh).
test.use({ storageState: STATE.admin });

test("deploy an instance through the UI, watch it reach running, see its steps and logs, then remove it", async ({ page }) => {
  const name = `e2e-web-${Date.now().toString(36)}`;
  await page.goto("/instances");
  await page.getByRole("link", { name: "New instance" }).click();
  const form = page.getByRole("form", { name: "New instance" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Image").fill("wharf-test/web:v1");
  await form.getByLabel("Container port").fill("8080");
  await form.getByRole("button", { name: "Deploy" }).click();

  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });
  const steps = page.getByTestId("deployment-steps").first();
  for (const step of ["create", "start", "health", "route"]) await expect(steps).toContainText(step);
  await expect(page.getByTestId("container-logs")).toContainText("wharf-test web v1 starting");

  await page.goto("/instances");
  await expect(page.locator(`[data-instance="${name}"]`)).toContainText("running");

  await page.locator(`[data-instance="${name}"]`).getByRole("link", { name, exact: true }).click();
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/instances$/);
  await expect(page.locator(`[data-instance="${name}"]`)).toHaveCount(0);
});

test("the form names the bad field", async ({ page }) => {
  await page.goto("/instances/new");
  const form = page.getByRole("form", { name: "New instance" });
  await form.getByLabel("Name", { exact: true }).fill("Bad_Name");
  await form.getByLabel("Image").fill("wharf-test/web:v1");
  await form.getByLabel("Container port").fill("70000");
  await form.getByRole("button", { name: "Deploy" }).click();
  await expect(form.locator('[data-field-error="name"]')).toContainText("RFC 1123");
});

test.describe("viewer", () => {
  test.use({ storageState: STATE.viewer });
  test("cannot create instances: the API answers 403", async ({ page }) => {
    const res = await page.request.post("/api/instances", { data: { name: "nope", image: "wharf-test/web:v1", port: 8080 } });
    expect(res.status()).toBe(403);
  });
});
