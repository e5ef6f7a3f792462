import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Real Docker engine, test image from test/images/build.sh; the server samples usage every 2 s (playwright.config.ts).
test.use({ storageState: STATE.admin });

test("deploy with a volume and limits, see usage charts, edit the limits, remove keeping the volume, then delete it", async ({ page }, testInfo) => {
  const name = `e2e-vol-${Date.now().toString(36)}`;
  await page.goto("/instances/new");
  const form = page.getByRole("form", { name: "New instance" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Image").fill("wharf-test/web:v1");
  await form.getByLabel("Container port").fill("8080");
  // A bad mount line first: the error names the mount.
  await form.getByLabel("Mounts (one per line)").fill("relative/path");
  await form.getByRole("button", { name: "Deploy" }).click();
  await expect(form.locator('[data-field-error="mounts"]')).toContainText("mount 1 target: must be an absolute path");
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Image").fill("wharf-test/web:v1");
  await form.getByLabel("Container port").fill("8080");
  await form.getByLabel("Mounts (one per line)").fill("/data");
  await form.getByLabel("Memory limit (MB)").fill("64");
  await form.getByLabel("CPUs").fill("0.5");
  await form.getByLabel("Command (optional)").fill(`sh -c 'echo e2e-override-ran; httpd -f -p 8080 -h /www & pid=$!; trap "kill $pid; exit 0" TERM; wait $pid'`);
  await form.getByRole("button", { name: "Deploy" }).click();

  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByTestId("instance-mounts")).toContainText(`volume wharf-${name}-data-`);
  await expect(page.getByTestId("instance-limits")).toHaveText("64 MB memory · 0.5 CPU");
  await expect(page.getByTestId("container-logs")).toContainText("e2e-override-ran");

  // Usage: the charts render from collector samples (two reads are needed for a CPU point).
  const charts = page.getByTestId("usage-charts");
  await expect(charts).toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId("chart-memory")).toContainText("/ 64.0 MB");
  await expect(page.getByTestId("chart-cpu").locator(".recharts-line-curve")).toHaveCount(1, { timeout: 45_000 });
  await page.getByTestId("chart-memory").locator(".recharts-area-area").waitFor();
  await charts.screenshot({ path: testInfo.outputPath("usage-charts.png") });
  await testInfo.attach("usage-charts", { path: testInfo.outputPath("usage-charts.png"), contentType: "image/png" });

  // Current values in the list.
  await page.goto("/instances");
  await expect(page.locator(`[data-instance="${name}"]`).getByTestId("usage-memory")).toContainText("/ 64.0 MB");
  await page.locator(`[data-instance="${name}"]`).getByRole("link", { name, exact: true }).click();

  // Edit: a bad value is named, a good one redeploys with the new limit.
  const edit = page.getByRole("form", { name: "Edit instance" });
  await edit.getByLabel("CPUs").fill("0");
  await edit.getByRole("button", { name: "Save and redeploy" }).click();
  await expect(edit.locator('[data-field-error="limits.cpus"]')).toContainText("must be more than 0");
  await edit.getByLabel("CPUs").fill("0.25");
  await edit.getByRole("button", { name: "Save and redeploy" }).click();
  await expect(page.getByTestId("instance-limits")).toHaveText("64 MB memory · 0.25 CPU", { timeout: 60_000 });
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });

  // Edit the TLS options: the boxes show the stored values; HSTS ticked is a redeploy that stores it.
  await expect(edit.getByLabel("HSTS")).not.toBeChecked();
  await expect(edit.getByLabel("HTTPS", { exact: true })).toBeChecked();
  await edit.getByLabel("HSTS").check();
  await edit.getByRole("button", { name: "Save and redeploy" }).click();
  await expect(page.getByTestId("instance-tls-options")).toContainText("HSTS on", { timeout: 60_000 });
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });
  await expect(edit.getByLabel("HSTS")).toBeChecked();

  // Remove without ticking "also delete its volumes": the volume is kept and listed.
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/instances$/);
  const kept = page.locator(`[data-volume^="wharf-${name}-data-"]`);
  await expect(kept).toContainText("kept (no instance)");
  await expect(kept.getByRole("link", { name: "Attach to a new instance" })).toHaveAttribute("href", /\/instances\/new\?volume=wharf-/);
  page.once("dialog", (d) => d.accept());
  await kept.getByRole("button", { name: "Delete" }).click();
  await expect(kept).toHaveCount(0);
});
