import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Request } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Settings → Servers (SPEC §16, issue 27) as an operator uses it: adding a
// TLS server (a field error first), the connection test that fails fast
// against a port nothing listens on (127.0.0.1:1), editing labels, an address
// change refused without the credentials, deleting; a viewer neither sees the
// section nor gets through its server actions.

let tls: { ca: string; cert: string; key: string };
test.beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), "wharf-e2e-servers-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`, "-subj", "/CN=wharf-e2e", "-days", "1"], { stdio: "ignore" });
    const cert = readFileSync(`${dir}/cert.pem`, "utf8");
    tls = { ca: cert, cert, key: readFileSync(`${dir}/key.pem`, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

type Listed = { name: string; status: string; address: string; port: number; labels: Record<string, string>; lastError: string | null };

test.describe("as an admin", () => {
  test.use({ storageState: STATE.admin });

  test("adds a TLS server (a bad address named first), sees it down, edits its labels, is told to re-enter credentials for a new address, deletes it", async ({ page, request }) => {
    const servers = async () => ((await (await request.get("/api/servers")).json()) as { items: Listed[] }).items;
    await page.goto("/settings");
    await expect(page.getByRole("heading", { name: "Servers", exact: true })).toBeVisible();
    const local = page.getByTestId("server-local");
    await expect(local).toContainText("built-in");
    await expect(local.getByRole("button", { name: "Edit" })).toHaveCount(0);
    await expect(local.getByRole("button", { name: "Delete" })).toHaveCount(0);

    const form = page.getByRole("form", { name: "Add server" });
    await expect(form.getByLabel("TLS", { exact: true })).toBeChecked();
    await expect(form.getByLabel("Port", { exact: true })).toHaveAttribute("placeholder", "2376");
    await form.getByLabel("Server name").fill("edge-e2e");
    await form.getByLabel("Address", { exact: true }).fill("not an address!");
    await form.getByLabel("Port", { exact: true }).fill("1");
    await form.getByLabel("Labels (key=value per line)").fill("zone=a");
    await form.getByLabel("CA certificate").fill(tls.ca);
    await form.getByLabel("Client certificate").fill(tls.cert);
    await form.getByLabel("Client key").fill(tls.key);
    await form.getByRole("button", { name: "Add server" }).click();
    // The error sits beside the field it names; nothing was stored.
    await expect(form.locator('[data-field-error="new-server-address"]')).toContainText("must be an IP address or a host name");
    await expect(form.getByLabel("Address", { exact: true })).toHaveAttribute("aria-invalid", "true");
    expect((await servers()).map((s) => s.name)).toEqual(["local"]);

    // The refused form kept what was typed: only the address is corrected.
    await expect(form.getByLabel("Server name")).toHaveValue("edge-e2e");
    await form.getByLabel("Address", { exact: true }).fill("127.0.0.1");
    const started = Date.now();
    await form.getByRole("button", { name: "Add server" }).click();
    await expect(form.getByRole("status").first()).toHaveText("Server added.");
    // Then the form tests the connection: nothing listens on port 1, so it fails at once with the reason.
    const added = form.getByTestId("server-test-result");
    await expect(added).toContainText("✗ edge-e2e:", { timeout: 10_000 });
    await expect(added).toContainText(/ECONNREFUSED|refused/i);
    expect(Date.now() - started).toBeLessThan(10_000);

    const row = page.getByTestId("server-edge-e2e");
    await expect(row).toHaveAttribute("data-status", "down");
    await expect(row.getByTestId("server-status")).toContainText(/ECONNREFUSED|refused/i);
    await expect(row).toContainText("127.0.0.1:1");
    await expect(row.getByTestId("server-labels")).toHaveText("zone=a");
    expect(await servers()).toEqual([expect.objectContaining({ name: "local" }), expect.objectContaining({ name: "edge-e2e", status: "down", address: "127.0.0.1", port: 1, labels: { zone: "a" } })]);
    // Write-only: neither the key nor the certificates reach the browser once stored.
    const keyLine = tls.key.split("\n")[1];
    const certLine = tls.cert.split("\n")[1];
    expect(await page.content()).not.toContain(keyLine);
    expect(await page.content()).not.toContain(certLine);

    // The per-row test says the same; health and the dashboard show the server down.
    await row.getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByTestId("server-edge-e2e-details").getByTestId("server-test-result")).toContainText(/✗ edge-e2e: .*(ECONNREFUSED|refused)/i);
    const health = (await (await request.get("/api/health")).json()) as { status: string; servers: { status: string; down: string[] } };
    expect(health).toMatchObject({ status: "degraded", servers: { status: "degraded", down: ["edge-e2e"] } });

    // Edit the labels: saved, shown, and in the API.
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit server edge-e2e" });
    await expect(edit.getByLabel("Labels (key=value per line)")).toHaveValue("zone=a");
    await expect(edit.getByLabel("Client key")).toHaveValue("");
    await expect(edit).toContainText("changing either needs them entered again");
    await edit.getByLabel("Labels (key=value per line)").fill("zone=b\nrole=db");
    await edit.getByRole("button", { name: "Save server" }).click();
    await expect(edit.getByRole("status")).toHaveText("Server saved.");
    await expect(row.getByTestId("server-labels")).toContainText("zone=b");
    await expect(row.getByTestId("server-labels")).toContainText("role=db");
    expect((await servers()).find((s) => s.name === "edge-e2e")?.labels).toEqual({ zone: "b", role: "db" });

    // A new address without the credentials: refused on the credentials, nothing changed.
    await edit.getByLabel("Address", { exact: true }).fill("127.0.0.2");
    await edit.getByRole("button", { name: "Save server" }).click();
    await expect(edit.locator('[data-field-error="tls"]')).toContainText("enter them again for 127.0.0.2:1");
    expect((await servers()).find((s) => s.name === "edge-e2e")).toMatchObject({ address: "127.0.0.1", port: 1 });

    // The new-instance form offers the server, with its status.
    await page.goto("/instances/new");
    await expect(page.getByLabel("Server", { exact: true })).toBeVisible();
    await expect(page.getByLabel("Server", { exact: true }).locator("option")).toHaveText(["local (this machine's engine)", "edge-e2e (tls, down)"]);
    await page.goto("/");
    await expect(page.getByTestId("health-servers")).toContainText("1 of 1 remote down");
    await expect(page.getByRole("alert").filter({ hasText: "Degraded:" })).toContainText("server edge-e2e down");

    // Delete (confirmed): gone from the list and the API; the new-instance form has no server field again.
    await page.goto("/settings");
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("server-edge-e2e").getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId("server-edge-e2e")).toHaveCount(0);
    expect((await servers()).map((s) => s.name)).toEqual(["local"]);
    await page.goto("/instances/new");
    await expect(page.getByLabel("Image", { exact: true })).toBeVisible();
    await expect(page.getByLabel("Server", { exact: true })).toHaveCount(0);
  });
});

test.describe("as a viewer", () => {
  test.use({ storageState: STATE.viewer });

  test("does not see the Servers section, and its Add server action answers forbidden", async ({ page, browser, baseURL }) => {
    await page.goto("/settings");
    await expect(page.getByText("Read-only: your role is viewer.")).toBeVisible();
    await expect(page.getByRole("heading", { name: "Servers", exact: true })).toHaveCount(0);
    await expect(page.getByTestId("servers-table")).toHaveCount(0);
    await expect(page.getByRole("form", { name: "Add server" })).toHaveCount(0);

    // The action request an admin's browser would send (captured, never delivered), replayed with the viewer's session.
    const admin = await browser.newContext({ storageState: STATE.admin, baseURL, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
    let captured: Request | undefined;
    let listed: string[] = [];
    try {
      const adminPage = await admin.newPage();
      await adminPage.route("**/settings", async (route) => {
        if (!route.request().headers()["next-action"]) return route.continue();
        captured = route.request();
        await route.abort();
      });
      await adminPage.goto("/settings");
      const form = adminPage.getByRole("form", { name: "Add server" });
      await form.getByLabel("Server name").fill("viewer-made");
      await form.getByLabel("Address", { exact: true }).fill("127.0.0.1");
      await form.getByLabel("Port", { exact: true }).fill("1");
      await form.getByLabel("CA certificate").fill(tls.ca);
      await form.getByLabel("Client certificate").fill(tls.cert);
      await form.getByLabel("Client key").fill(tls.key);
      await form.getByRole("button", { name: "Add server" }).click();
      await expect.poll(() => captured).toBeDefined();
      const headers = captured!.headers();
      const res = await page.request.post("/settings", {
        headers: { "next-action": headers["next-action"], "content-type": headers["content-type"], accept: "text/x-component" },
        data: captured!.postDataBuffer()!,
      });
      const body = await res.text();
      expect(body).toContain('"code":"FORBIDDEN"');
      expect(body).not.toContain("Server added.");
      // Nothing was created (the admin's API says so); the viewer's own API call is refused too.
      listed = ((await (await admin.request.get("/api/servers")).json()) as { items: { name: string }[] }).items.map((s) => s.name);
    } finally {
      await admin.close();
    }
    expect(listed).not.toContain("viewer-made");
    expect(listed).toContain("local");
    expect((await page.request.get("/api/servers")).status()).toBe(403);
    await page.goto("/activity");
    await expect(page.getByTestId("audit-log").locator("tr", { hasText: "server.create" }).filter({ hasText: "denied" }).first()).toBeVisible();
  });
});
