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
