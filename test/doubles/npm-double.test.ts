import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type NpmDouble, startNpmDouble } from "./npm-double";

// The NPM double's answers, as seen on the real NPM 2.15.1 backend (issue 12):
// the client tests are only as good as these.

let npm: NpmDouble;
beforeEach(async () => {
  npm = await startNpmDouble({ email: "admin@example.com", password: "pw-admin-1" });
});
afterEach(() => npm.close());

async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${npm.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string; message_i18n?: string } } };
}
const login = async () => (await call("POST", "/api/tokens", { identity: "admin@example.com", secret: "pw-admin-1" })).body.token as string;
const host = (domains: string[], extra: Record<string, unknown> = {}) => ({ domain_names: domains, forward_scheme: "http", forward_host: "192.0.2.1", forward_port: 80, ...extra });

describe("NPM double", () => {
  it("answers logins and token renewal as NPM does", async () => {
    expect(await call("POST", "/api/tokens", { identity: "admin@example.com", secret: "nope" })).toEqual({
      status: 400,
      body: { error: { code: 400, message: "Invalid email or password", message_i18n: "error.invalid-auth" } },
    });
    expect((await call("POST", "/api/tokens", { identity: "admin@example.com", secret: "pw-admin-1", expiry: "1d" })).body.error?.message).toBe(
      "data must NOT have additional properties",
    );
    const token = await login();
    const renewed = await call("GET", "/api/tokens?expiry=30s", undefined, token);
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expires as string) - Date.now()).toBeLessThanOrEqual(30_000);
    npm.invalidateTokens();
    expect(await call("GET", "/api/nginx/proxy-hosts", undefined, token)).toMatchObject({ status: 500, body: { error: { message: "Internal Error" } } });
  });

  it("validates hosts with every error joined, sorts domains, and says 'Not Found - <id>'", async () => {
    const token = await login();
    const bad = await call("POST", "/api/nginx/proxy-hosts", host(["a b.example.com", "x.example.com", "x.example.com"], { forward_port: 0 }), token);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/^data\/domain_names\/0 must match pattern ".+", data\/domain_names must NOT have duplicate items \(items ## 2 and 1 are identical\), data\/forward_port must be >= 1$/);
    const made = await call("POST", "/api/nginx/proxy-hosts", host(["b.example.com", "a.example.com"]), token);
    expect(made.status).toBe(201);
    const back = await call("GET", `/api/nginx/proxy-hosts/${made.body.id}`, undefined, token);
    expect(back.body).toMatchObject({ domain_names: ["a.example.com", "b.example.com"], trust_forwarded_proto: false, meta: { nginx_online: true } });
    expect((await call("GET", "/api/nginx/proxy-hosts/999", undefined, token)).body.error?.message).toBe("Not Found - 999");
  });

  it("serves a new host only after nginx's asynchronous reload, and fails a bare IPv6 upstream at request time", async () => {
    const token = await login();
    const sent = Date.now();
    const v6 = await call("POST", "/api/nginx/proxy-hosts", host(["v6.example.com"], { forward_host: "::1", forward_port: 35051 }), token);
    const answered = Date.now();
    const { readyAt } = npm.upstream(v6.body.id as number);
    expect(readyAt).toBeGreaterThanOrEqual(sent + 20);
    expect(readyAt).toBeLessThanOrEqual(answered + 70);
    await new Promise((r) => setTimeout(r, 80));
    expect(npm.upstream(v6.body.id as number)).toMatchObject({ serving: true, error: 'invalid port in upstream "::1:35051"' });
    const ok = await call("POST", "/api/nginx/proxy-hosts", host(["v6b.example.com"], { forward_host: "[::1]" }), token);
    await new Promise((r) => setTimeout(r, 80));
    expect(npm.upstream(ok.body.id as number)).toMatchObject({ serving: true, error: null });
  });
});

describe("NPM double certificates", () => {
  const PATH = "/api/nginx/certificates";
  it("requests a Let's Encrypt certificate, lists, reads and deletes it", async () => {
    const token = await login();
    const created = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"], meta: { dns_challenge: false } }, token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: "letsencrypt", domain_names: ["a.example.com"], nice_name: "a.example.com" });
    expect(String(created.body.expires_on)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect((created.body.meta as { letsencrypt_certificate: { issuer: string } }).letsencrypt_certificate.issuer).toContain("O = Let's Encrypt");
    const id = created.body.id as number;
    expect((await call("GET", `${PATH}/${id}`, undefined, token)).status).toBe(200);
    expect(npm.certificates().map((c) => c.id)).toEqual([id]);
    expect((await call("DELETE", `${PATH}/${id}`, undefined, token)).status).toBe(200);
    expect((await call("GET", `${PATH}/${id}`, undefined, token)).body.error?.message).toBe(`Not Found - ${id}`);
    expect(npm.certificates()).toEqual([]);
  });

  it("refuses the pre-2.12 meta fields and unknown properties with NPM's schema text", async () => {
    const token = await login();
    const old = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"], meta: { letsencrypt_email: "ops@example.com", letsencrypt_agree: true } }, token);
    expect(old).toMatchObject({ status: 400, body: { error: { message: "data/meta must NOT have additional properties" } } });
    const extra = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"], owner: 1 }, token);
    expect(extra.body.error?.message).toBe("data must NOT have additional properties");
    expect(npm.certificates()).toEqual([]);
  });

  it("answers a certbot failure with 500 Internal Error, the output in debug.stack, and keeps no row", async () => {
    const token = await login();
    npm.setCertbotFailure("Some challenges have failed.", 1);
    const failed = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"] }, token);
    expect(failed.status).toBe(500);
    expect(failed.body.error?.message).toBe("Internal Error");
    expect((failed.body.debug as { stack: string[] }).stack[0]).toBe("CommandError: Some challenges have failed.");
    expect(npm.certificates()).toEqual([]);
    expect((await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"] }, token)).status).toBe(201);
  });

  it("hides certificates from a user without the certificates permission", async () => {
    const other = await startNpmDouble({ users: [{ email: "u@example.com", password: "pw-user-1", permissions: { proxy_hosts: "manage" } }] });
    try {
      const t = (await (await fetch(`${other.url}/api/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ identity: "u@example.com", secret: "pw-user-1" }) })).json()) as { token: string };
      const res = await fetch(`${other.url}${PATH}`, { headers: { authorization: `Bearer ${t.token}` } });
      expect(res.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
