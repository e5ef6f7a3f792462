import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, request as playwrightRequest, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, STATE, apiLogin } from "./fixtures/auth";

// Attacks as a hostile page or client would try them (issue 10). A page on
// another port of 127.0.0.1 is a different origin but the same site as Wharf
// (ports do not make sites), exactly like an app Wharf deploys on a sibling
// subdomain: the browser attaches Wharf's SameSite=Lax cookie to its requests.

let hostile: Server;
let hostileOrigin: string;

test.beforeAll(async () => {
  hostile = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>totally an app</title><h1>app</h1>");
  });
  await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
  hostileOrigin = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => hostile.close(resolve));
});

const unique = (what: string) => `${what}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`;

async function userExists(api: APIRequestContext, email: string): Promise<boolean> {
  const res = await api.get("/api/users");
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { users: { email: string }[] };
  return body.users.some((u) => u.email === email);
}

test.describe("cross-site requests with the admin's cookie", () => {
  // What a real browser sends: no Origin added by the test harness.
  test.use({ storageState: STATE.admin, extraHTTPHeaders: {} });

  test("a sibling origin's no-cors text/plain and JSON POSTs create nothing; Wharf's own page can", async ({ page, request, baseURL }) => {
    const wharf = new URL(baseURL!).origin;
    const noCorsEmail = unique("nocors");
    const jsonEmail = unique("json");
    await page.goto(hostileOrigin);
    const attempts = await page.evaluate(
      async ({ wharf, noCorsEmail, jsonEmail }) => {
        const out: string[] = [];
        const body = (email: string) => JSON.stringify({ email, password: "attacker-password", role: "admin" });
        const r1 = await fetch(`${wharf}/api/users`, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: body(noCorsEmail) });
        out.push(`no-cors:${r1.type}`);
        try {
          await fetch(`${wharf}/api/users`, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: body(jsonEmail) });
          out.push("json:answered");
        } catch {
          out.push("json:blocked");
        }
        return out;
      },
      { wharf, noCorsEmail, jsonEmail },
    );
    // The no-cors answer is opaque to the page; what matters is that nothing was created.
    expect(attempts).toEqual(["no-cors:opaque", "json:blocked"]);
    expect(await userExists(request, noCorsEmail)).toBe(false);
    expect(await userExists(request, jsonEmail)).toBe(false);

    // The refusal is in the audit log, naming the origin.
    const activity = await request.get("/activity");
    expect(activity.status()).toBe(200);
    expect(await activity.text()).toContain(`Origin ${hostileOrigin} is not Wharf`);

    // The same requests from Wharf's own page: JSON works, text/plain is 415.
    await page.goto("/settings");
    const own = await page.evaluate(async (email) => {
      const body = JSON.stringify({ email, password: "a-fine-password", role: "viewer" });
      const plain = await fetch("/api/users", { method: "POST", headers: { "content-type": "text/plain" }, body });
      const json = await fetch("/api/users", { method: "POST", headers: { "content-type": "application/json" }, body });
      return { plain: plain.status, plainBody: await plain.json(), json: json.status };
    }, jsonEmail);
    expect(own.plain).toBe(415);
    expect(own.plainBody.error).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", field: "content-type" });
    expect(own.json).toBe(201);
    expect(await userExists(request, jsonEmail)).toBe(true);
  });

  test("a client forging a sibling Origin with the admin cookie gets 403 with the error shape", async ({ request }) => {
    const email = unique("forged");
    const res = await request.post("/api/users", { headers: { origin: hostileOrigin }, data: { email, password: "attacker-password", role: "admin" } });
    expect(res.status()).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining(hostileOrigin) });
    const none = await request.post("/api/users", { data: { email, password: "attacker-password", role: "admin" } });
    expect(none.status()).toBe(403);
    expect((await none.json()).error.message).toMatch(/neither Origin nor Sec-Fetch-Site/);
    expect(await userExists(request, email)).toBe(false);
  });

  test("a sibling origin cannot sign the browser out or in through next-auth", async ({ request }) => {
    const res = await request.post("/api/auth/signout", { headers: { origin: hostileOrigin }, form: { csrfToken: "x" } });
    expect(res.status()).toBe(403);
    const session = await (await request.get("/api/auth/session")).json();
    expect(session?.user?.email).toBe(ADMIN.email);
  });
});

test("a bearer-token script needs no Origin", async ({ baseURL }) => {
  const admin = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
  await apiLogin(admin, ADMIN);
  const created = await admin.post("/api/tokens", { data: { name: "security-script", role: "admin" } });
  expect(created.status()).toBe(201);
  const { token } = (await created.json()) as { token: string };
  await admin.dispose();

  const script = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const email = unique("script");
  const res = await script.post("/api/users", { data: { email, password: "script-password", role: "viewer" } });
  expect(res.status()).toBe(201);
  // A bearer request with a non-JSON body is still 415.
  const plain = await script.post("/api/users", { headers: { "content-type": "text/plain" }, data: "{}" });
  expect(plain.status()).toBe(415);
  await script.dispose();
});

async function loggedIn(baseURL: string, user: { email: string; password: string }): Promise<APIRequestContext> {
  const ctx = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { origin: new URL(baseURL).origin } });
  await apiLogin(ctx, user);
  return ctx;
}

test.describe("tokens, roles and sessions", () => {
  test.use({ storageState: STATE.admin });

  test("a demoted admin's token is refused mutations (403); a deleted user's token is dead (401)", async ({ request, baseURL }) => {
    const who = { email: unique("tokenowner"), password: "owner-password-1" };
    const created = await request.post("/api/users", { data: { ...who, role: "admin" } });
    expect(created.status()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const owner = await loggedIn(baseURL!, who);
    const tok = await owner.post("/api/tokens", { data: { name: "owner-script", role: "admin", expiresInDays: 30 } });
    expect(tok.status()).toBe(201);
    const { token, id: tokenId } = (await tok.json()) as { token: string; id: string };
    await owner.dispose();

    const script = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    expect((await script.put("/api/settings", { data: { sync: { intervalMinutes: 6 } } })).status()).toBe(200);
    const listed = ((await (await request.get("/api/tokens")).json()) as { tokens: { id: string; owner: { email: string } | null; expiresAt: string | null }[] }).tokens.find((t) => t.id === tokenId);
    expect(listed).toMatchObject({ owner: { email: who.email }, expiresAt: expect.any(String) });

    expect((await request.patch(`/api/users/${id}`, { data: { role: "viewer" } })).status()).toBe(200);
    const demoted = await script.put("/api/settings", { data: { sync: { intervalMinutes: 7 } } });
    expect(demoted.status()).toBe(403);
    expect((await demoted.json()).error.code).toBe("FORBIDDEN");
    expect((await script.get("/api/settings")).status()).toBe(200); // still a viewer

    expect((await request.delete(`/api/users/${id}`)).status()).toBe(204);
    const dead = await script.get("/api/settings");
    expect(dead.status()).toBe(401);
    await script.dispose();
  });

  test("changing a password ends the user's other sessions, not the one that changed it", async ({ browser, request, baseURL }) => {
    const who = { email: unique("pwchange"), password: "first-password-1" };
    const created = await request.post("/api/users", { data: { ...who, role: "viewer" } });
    expect(created.status()).toBe(201);
    const other = await loggedIn(baseURL!, who);
    expect((await other.get("/api/settings")).status()).toBe(200);

    const ctx = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const page = await ctx.newPage();
    await page.goto("/login");
    await page.getByLabel("Email").fill(who.email);
    await page.getByLabel("Password").fill(who.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await page.goto("/settings");
    const form = page.getByRole("form", { name: "Change password" });
    await form.getByLabel("Current password").fill("not-it");
    await form.getByLabel("New password").fill("second-password-2");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "is not your current password" }).first()).toBeVisible();
    expect((await other.get("/api/settings")).status()).toBe(200); // the refused change ended nothing

    await form.getByLabel("Current password").fill(who.password);
    await form.getByLabel("New password").fill("second-password-2");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Password changed" })).toBeVisible();
    expect((await other.get("/api/settings")).status()).toBe(401);
    await page.goto("/settings");
    await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
    await other.dispose();
    await ctx.close();

    // An admin's reset ends every session of that user.
    const again = await loggedIn(baseURL!, { email: who.email, password: "second-password-2" });
    const id = ((await (await request.get("/api/users")).json()) as { users: { id: string; email: string }[] }).users.find((u) => u.email === who.email)!.id;
    expect((await request.patch(`/api/users/${id}`, { data: { password: "reset-password-3" } })).status()).toBe(200);
    expect((await again.get("/api/settings")).status()).toBe(401);
    await again.dispose();
  });
});

test.describe("login page", () => {
  test("each hostile callbackUrl ends on Wharf's own origin", async ({ browser, baseURL }) => {
    const wharf = new URL(baseURL!).origin;
    for (const callbackUrl of ["//evil.test/", "/\\evil.test/", "/%5Cevil.test/", `${hostileOrigin}/stolen`, "https://evil.test/", "/\\/evil.test"]) {
      const ctx = await browser.newContext({ storageState: { cookies: [], origins: [] } });
      const page = await ctx.newPage();
      await page.goto(`/login?callbackUrl=${encodeURIComponent(callbackUrl)}`);
      await page.getByLabel("Email").fill(ADMIN.email);
      await page.getByLabel("Password").fill(ADMIN.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
      expect(new URL(page.url()).origin, callbackUrl).toBe(wharf);
      await ctx.close();
    }
  });

  test("cannot be framed, and sends the security headers", async ({ page, request }) => {
    const res = await request.get("/login");
    const h = res.headers();
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(h["x-frame-options"]).toBe("DENY");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("same-origin");
    expect(h["strict-transport-security"]).toBeUndefined(); // plain HTTP here
    const https = await request.get("/login", { headers: { "x-forwarded-proto": "https" } });
    expect(https.headers()["strict-transport-security"]).toMatch(/max-age=\d+/);

    await page.goto(hostileOrigin);
    await page.evaluate((src) => {
      const f = document.createElement("iframe");
      f.src = src;
      document.body.appendChild(f);
    }, `${new URL(res.url()).origin}/login`);
    await page.waitForTimeout(1500);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    expect(framed).toBeDefined();
    expect(await framed!.locator("text=Sign in").count()).toBe(0);
  });
});

test.describe("the app's own pages pass the CSP", () => {
  test.use({ storageState: STATE.admin });

  test("every page hydrates with no CSP violation", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    for (const path of ["/", "/instances", "/instances/new", "/proxies", "/dns", "/settings", "/activity"]) {
      const res = await page.goto(path);
      expect(res?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    }
    // Hydrated: a client-side navigation and a client island work.
    await page.getByRole("navigation", { name: "Main" }).first().getByRole("link", { name: "Settings", exact: true }).click();
    const form = page.getByRole("form", { name: "Change password" });
    await form.getByLabel("Current password").fill("x");
    await form.getByLabel("New password").fill("short");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("alert").filter({ hasText: /at least 8 characters/ }).first()).toBeVisible();
    expect(violations).toEqual([]);
  });
});

test("cookies: SameSite=Lax and HttpOnly over HTTP; __Host-/__Secure- prefixes and Secure over HTTPS", async ({ baseURL }) => {
  const plain = await playwrightRequest.newContext({ baseURL });
  const csrf = await plain.get("/api/auth/csrf");
  const plainCookie = csrf.headersArray().find((h) => h.name.toLowerCase() === "set-cookie")?.value ?? "";
  expect(plainCookie).toMatch(/^next-auth\.csrf-token=/);
  expect(plainCookie).toMatch(/HttpOnly/i);
  expect(plainCookie).toMatch(/SameSite=Lax/i);
  await plain.dispose();
  // Behind a TLS-terminating proxy (X-Forwarded-Proto: https).
  const tls = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-proto": "https" } });
  const secure = await tls.get("/api/auth/csrf");
  const cookies = secure.headersArray().filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value);
  expect(cookies.find((c) => c.startsWith("__Host-next-auth.csrf-token="))).toMatch(/Secure/);
  expect(cookies.find((c) => c.startsWith("__Secure-next-auth.callback-url="))).toMatch(/Secure/);
  await tls.dispose();
});
