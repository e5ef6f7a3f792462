import { expect, test } from "@playwright/test";
import { STATE, VIEWER } from "./fixtures/auth";

test.use({ storageState: STATE.viewer });

test("a viewer sees settings read-only and cannot change them", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByText("Read-only: your role is viewer.")).toBeVisible();
  await expect(page.getByTestId("current-user")).toHaveText(VIEWER.email);
  await expect(page.getByRole("form", { name: "General settings" }).getByLabel("Base domain")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Save general settings" })).toHaveCount(0);
  await expect(page.getByRole("form", { name: "Create API token" })).toHaveCount(0);
});

test("a viewer's mutation through the API is refused with 403 and recorded", async ({ page }) => {
  const res = await page.request.put("/api/settings", { data: { baseDomain: "viewer.example.com" } });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.code).toBe("FORBIDDEN");
  const settings = await (await page.request.get("/api/settings")).json();
  expect(settings.baseDomain).not.toBe("viewer.example.com");
  await page.goto("/activity");
  await expect(page.getByTestId("audit-log")).toContainText("denied");
});
