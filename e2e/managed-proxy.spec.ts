import http from "node:http";
import https from "node:https";
import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

// Issue 24: a newcomer's first instance answers at its name after one click.
// Wharf runs Caddy from the locally built wharf-test/caddy:2 on 127.0.0.1
// high ports (WHARF_MANAGED_PROXY_* in playwright.config.ts).
const HTTP_PORT = 24280;
const HTTPS_PORT = 24643;
test.use({ storageState: STATE.admin });

type Answer = { status: number; body: string; location?: string };

/** A request to the published port with the instance's name as Host (node:http: no Sec-Fetch-Mode). Loopback only. */
function viaPublished(host: string, opts: { tls?: { ca: string } } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = { host: "127.0.0.1", path: "/", headers: { host }, agent: false as const, timeout: 5000 };
    const done = (res: http.IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }));
    };
    const req = opts.tls ? https.get({ ...common, port: HTTPS_PORT, servername: host, ca: opts.tls.ca }, done) : http.get({ ...common, port: HTTP_PORT }, done);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

let original: { proxy: unknown; tls: { mode: string } } | null = null;

test.beforeAll(async ({ request }) => {
  const s = await (await request.get("/api/settings")).json();
  original = { proxy: s.proxy, tls: { mode: s.tls.mode } };
  // Fresh start as the README's first command gives it: no proxy, host-port upstreams.
  const reset = await request.put("/api/settings", { data: { proxy: { provider: null, upstream: { mode: "host", hostAddress: "127.0.0.1" } } } });
  expect(reset.status()).toBe(200);
});

test.afterAll(async ({ request }) => {
  for (const i of (await (await request.get("/api/instances")).json()).items ?? []) {
    if (String(i.name).startsWith("e2e-hello-")) await request.delete(`/api/instances/${i.id}`);
  }
  if (original) await request.put("/api/settings?removeManagedProxy=true", { data: { proxy: original.proxy, tls: original.tls } });
});

test("fresh start: deploy, the 'not reachable yet' notice, one click, the instance answers at its name", async ({ page, request }) => {
  const name = `e2e-hello-${Date.now().toString(36)}`;
  await page.goto("/instances/new");
  const form = page.getByRole("form", { name: "New instance" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Image").fill("wharf-test/web:v1");
  await form.getByLabel("Container port").fill("8080");
  await form.getByRole("button", { name: "Deploy" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });

  const fqdn = (await (await request.get("/api/instances")).json()).items.find((i: { name: string }) => i.name === name).fqdn as string;
  const notice = page.getByTestId("no-proxy-notice");
  await expect(notice).toContainText(`This instance is not reachable at ${fqdn} yet`);
  await expect(notice.getByRole("link", { name: "Proxy settings" })).toHaveAttribute("href", "/settings");

  await page.goto("/");
  await expect(page.getByTestId("no-proxy-notice")).toContainText("Instances are not reachable by name yet");
  const t0 = Date.now();
  await page.getByTestId("no-proxy-notice").getByRole("button", { name: "Use Wharf's Caddy" }).click();
  await expect(page.getByTestId("no-proxy-notice")).toHaveCount(0, { timeout: 60_000 });
  console.log(`one click to routed: ${Date.now() - t0} ms`);

  const inst = (await (await request.get("/api/instances")).json()).items.find((i: { name: string }) => i.name === name);
  expect(inst.route.status).toBe("active");
  const settings = await (await request.get("/api/settings")).json();
  expect(settings.proxy.provider).toMatchObject({ type: "managed", image: "wharf-test/caddy:2", httpPort: HTTP_PORT, httpsPort: HTTPS_PORT, bindAddress: "127.0.0.1" });
  expect(settings.proxy.upstream).toMatchObject({ mode: "network" });

  // With TLS (internal by default on a *.localhost base domain) HTTP may already redirect to HTTPS with Caddy's own CA.
  let answer = await viaPublished(fqdn);
  if (answer.status >= 300 && answer.status < 400) {
    expect(answer.location).toContain(`https://${fqdn}`);
    const root = await request.get("/api/tls/root");
    expect(root.status()).toBe(200);
    answer = await viaPublished(fqdn, { tls: { ca: await root.text() } });
  }
  expect(answer.status).toBe(200);
  expect(answer.body).toContain("wharf-test v1");

  await page.goto(`/instances/${inst.id}`);
  await expect(page.getByTestId("instance-status")).toHaveText("running");
  await expect(page.getByTestId("no-proxy-notice")).toHaveCount(0);
});

test("a viewer sees the notice without the one-click button", async ({ browser, request }) => {
  // Back to no proxy (the container stays: not confirmed), as a viewer would find a fresh install.
  expect((await request.put("/api/settings", { data: { proxy: { provider: null } } })).status()).toBe(200);
  const ctx = await browser.newContext({ storageState: STATE.viewer });
  const page = await ctx.newPage();
  await page.goto("/");
  await expect(page.getByTestId("no-proxy-notice")).toContainText("An admin can let Wharf run Caddy");
  await expect(page.getByRole("button", { name: "Use Wharf's Caddy" })).toHaveCount(0);
  await ctx.close();
});
