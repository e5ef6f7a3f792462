import { expect, request as playwrightRequest, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Issue 21 through the production server: the login throttle keys on the
// socket's peer address (a forged X-Forwarded-For changes nothing without
// WHARF_TRUST_PROXY), and /login?error shows only known messages.

test("a spoofed X-Forwarded-For does not escape the throttle; the audit names the peer address", async ({ baseURL }) => {
  const email = `spoof-${Date.now()}@example.com`;
  const statuses: string[] = [];
  for (let i = 0; i < 6; i++) {
    const ctx = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { origin: new URL(baseURL!).origin, "x-forwarded-for": `203.0.113.${i + 1}` } });
    const { csrfToken } = (await (await ctx.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const res = await ctx.post("/api/auth/callback/credentials", { form: { csrfToken, email, password: `guess-${i}`, json: "true" }, maxRedirects: 0 });
    statuses.push(decodeURIComponent(new URL(res.headers().location ?? (await res.json()).url, baseURL).searchParams.get("error") ?? ""));
    await ctx.dispose();
  }
  expect(statuses.slice(0, 5)).toEqual(Array(5).fill("Invalid e-mail or password."));
  expect(statuses[5]).toMatch(/^Too many failed sign-in attempts/);

  const admin = await playwrightRequest.newContext({ baseURL, storageState: STATE.admin });
  const activity = await (await admin.get("/activity")).text();
  await admin.dispose();
  expect(activity).toContain("auth.login.throttled");
  expect(activity).toContain("127.0.0.1");
  expect(activity).not.toContain("203.0.113.");
});

test("/login?error shows only known messages; a malformed one is no 500", async ({ page }) => {
  for (const [query, shown] of [
    ["error=CredentialsSignin", "Invalid e-mail or password."],
    ["error=Your%20account%20is%20suspended%2C%20call%20us", "Sign-in failed. Try again."],
    ["error=%E0", "Sign-in failed. Try again."],
  ] as const) {
    const res = await page.goto(`/login?${query}`);
    expect(res?.status(), query).toBe(200);
    await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toHaveText(shown);
  }
});
