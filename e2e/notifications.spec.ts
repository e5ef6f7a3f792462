import { createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import { startHttpSink, type HttpSink } from "../test/helpers/sinks";
import { STATE } from "./fixtures/auth";

test.use({ storageState: STATE.admin });

let sink: HttpSink;
test.beforeAll(async () => {
  sink = await startHttpSink();
});
test.afterAll(async () => {
  await sink.close();
});

test("an admin adds a webhook channel in Settings and sends a test; a failure shows the receiver's exact answer", async ({ page }) => {
  const secret = "e2e-webhook-secret-42";
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Add notification channel" });
  await form.getByLabel("Channel name").fill("ops-hook");
  await form.getByLabel("Type").selectOption("webhook");
  await form.getByLabel("URL", { exact: true }).fill(`${sink.url}/hook`);
  await form.getByLabel("Signing secret").fill(secret);
  await form.getByRole("button", { name: "Add channel" }).click();
  await expect(form.getByRole("status")).toHaveText("Channel added.");

  const row = page.getByTestId("channel-ops-hook");
  await expect(row).toContainText(`${sink.url}/hook`);
  expect(await page.content()).not.toContain(secret);

  await row.getByRole("button", { name: "Send test" }).click();
  await expect(row.getByTestId("channel-test-result")).toHaveText("✓ Test message delivered.");
  expect(sink.seen).toHaveLength(1);
  const req = sink.seen[0];
  expect(req.headers["x-wharf-signature-256"]).toBe(`sha256=${createHmac("sha256", secret).update(req.body).digest("hex")}`);
  expect(JSON.parse(req.body)).toMatchObject({ event: "test", count: 1 });

  sink.failNext("/hook", 1, 500, "receiver exploded");
  await row.getByRole("button", { name: "Send test" }).click();
  await expect(row.getByTestId("channel-test-result")).toHaveText("✗ HTTP 500: receiver exploded");
  // Both attempts are listed among the channel's last deliveries.
  await expect(row.getByTestId("delivery-row")).toHaveCount(2);
  await expect(row.getByTestId("delivery-row").first()).toContainText("receiver exploded");
});

test("/metrics is served through the rewrite and refuses a request without a token", async ({ request }) => {
  expect((await request.get("/metrics")).status()).toBe(401);
  const created = await request.post("/api/tokens", { data: { name: "prometheus", role: "metrics" } });
  expect(created.status()).toBe(201);
  const { token } = (await created.json()) as { token: string };
  const res = await request.get("/metrics", { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  expect(await res.text()).toMatch(/^wharf_instances\{state="running"\} \d+$/m);
  // The metrics token opens nothing else.
  expect((await request.get("/api/instances", { headers: { authorization: `Bearer ${token}` } })).status()).toBe(401);
});

test("an admin edits a channel's events and URL; a blank secret is kept only while the URL is unchanged", async ({ page, request }) => {
  const created = await request.post("/api/notifications/channels", { data: { name: "edit-hook", type: "webhook", config: { url: `${sink.url}/old`, secret: "first-secret-value" }, events: "all" } });
  expect(created.status()).toBe(201);
  await page.goto("/settings");
  const row = page.getByTestId("channel-edit-hook");
  await row.getByRole("button", { name: "Edit" }).click();
  const form = page.getByRole("form", { name: "Edit channel edit-hook" });
  await expect(form.getByLabel("URL", { exact: true })).toHaveValue(`${sink.url}/old`);
  await expect(form.getByLabel("Signing secret")).toHaveValue("");

  // Events only, secret blank: saved, the stored secret still signs.
  await form.getByLabel("all events").uncheck();
  await form.getByLabel("deploy.failed").check();
  await form.getByLabel("update.available").check();
  await form.getByRole("button", { name: "Save channel" }).click();
  await expect(form.getByRole("status")).toHaveText("Channel saved.");
  await expect(row).toContainText("deploy.failed, update.available");

  // A new URL with the secret left blank: refused, the stored secret is never sent to a new address.
  await form.getByLabel("URL", { exact: true }).fill(`${sink.url}/new`);
  await form.getByRole("button", { name: "Save channel" }).click();
  await expect(form.getByRole("alert").first()).toContainText("enter it again");
  await expect(row).toContainText(`${sink.url}/old`);

  await form.getByLabel("URL", { exact: true }).fill(`${sink.url}/new`);
  await form.getByLabel("Signing secret").fill("second-secret-value");
  await form.getByRole("button", { name: "Save channel" }).click();
  await expect(form.getByRole("status")).toHaveText("Channel saved.");
  await expect(row).toContainText(`${sink.url}/new`);
  await expect(row).toContainText("deploy.failed, update.available");

  // Saved, not just shown: the API has it, and a test goes to the new URL signed with the new secret.
  const { items } = (await (await request.get("/api/notifications/channels")).json()) as { items: { name: string; config: Record<string, unknown>; events: unknown }[] };
  expect(items.find((c) => c.name === "edit-hook")).toMatchObject({ config: { url: `${sink.url}/new`, secretSet: true }, events: ["deploy.failed", "update.available"] });
  sink.seen.length = 0;
  await row.getByRole("button", { name: "Send test" }).click();
  await expect(row.getByTestId("channel-test-result")).toHaveText("✓ Test message delivered.");
  expect(sink.seen.map((r) => r.path)).toEqual(["/new"]);
  expect(sink.seen[0].headers["x-wharf-signature-256"]).toBe(`sha256=${createHmac("sha256", "second-secret-value").update(sink.seen[0].body).digest("hex")}`);
});

test.describe("as a viewer", () => {
  test.use({ storageState: STATE.viewer });
  test("a viewer sees no channel edit controls", async ({ page }) => {
    await page.goto("/settings");
    await expect(page.getByText("Read-only: your role is viewer.")).toBeVisible();
    await expect(page.getByTestId("channel-edit-hook")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Edit", exact: true })).toHaveCount(0);
    await expect(page.getByRole("form", { name: /^Edit channel/ })).toHaveCount(0);
    await expect(page.getByRole("form", { name: "Add notification channel" })).toHaveCount(0);
  });
});
