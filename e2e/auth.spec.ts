import { expect, test } from "@playwright/test";
import { ADMIN, formLogin } from "./fixtures/auth";

test("an anonymous visitor is sent to the login page", async ({ page }) => {
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a wrong password shows an error and does not sign in", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toContainText("Invalid e-mail or password");
  await expect(page).toHaveURL(/\/login/);
});

test("the admin signs in through the form and visits every page of the navigation", async ({ page }) => {
  await formLogin(page, ADMIN);
  await expect(page.getByTestId("current-user")).toHaveText(ADMIN.email);
  const nav = page.getByRole("navigation", { name: "Main" }).first();
  for (const [link, heading] of [
    ["Instances", "Instances"],
    ["Proxies", "Standalone proxies"],
    ["DNS", "DNS"],
    ["Settings", "Settings"],
    ["Activity", "Activity"],
    ["Dashboard", "Dashboard"],
  ]) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  }
  // The activity page shows this very login in the audit log.
  await nav.getByRole("link", { name: "Activity", exact: true }).click();
  await expect(page.getByTestId("audit-log")).toContainText("auth.login");
});

test("the setup page is gone once a user exists", async ({ page }) => {
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login/);
});
