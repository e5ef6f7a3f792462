import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { inflateRawSync } from "node:zlib";
import { type NpmDouble, startNpmDouble } from "./npm-double";
import { npmDate } from "./npm-double-certs";

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
const CERTBOT_FAILURE = [
  "Saving debug log to /tmp/letsencrypt-log/letsencrypt.log",
  "Requesting a certificate for a.example.com",
  "An unexpected error occurred:",
  "ValueError: Unable to find a pre-existing certificate to renew",
  "Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /tmp/letsencrypt-log/letsencrypt.log or re-run Certbot with -v for more details.",
].join("\n");

/** The entries of a zip (deflated or stored), read independently of the double's writer. */
function readZip(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (buf.readUInt32LE(at) === 0x04034b50) {
    const method = buf.readUInt16LE(at + 8);
    const size = buf.readUInt32LE(at + 18);
    const nameLen = buf.readUInt16LE(at + 26);
    const extraLen = buf.readUInt16LE(at + 28);
    const name = buf.subarray(at + 30, at + 30 + nameLen).toString("utf8");
    const data = buf.subarray(at + 30 + nameLen + extraLen, at + 30 + nameLen + extraLen + size);
    out[name] = (method === 8 ? inflateRawSync(data) : data).toString("utf8");
    at += 30 + nameLen + extraLen + size;
  }
  return out;
}
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

describe("NPM double permissions", () => {
  it("answers a proxy-host POST without the manage permission with 500 Internal Error (PUT and DELETE 404), and without a token 404", async () => {
    const other = await startNpmDouble({ users: [{ email: "v@example.com", password: "pw-view-1", permissions: { proxy_hosts: "view" } }] });
    try {
      const ask = async (method: string, path: string, body?: unknown, token?: string) => {
        const res = await fetch(`${other.url}${path}`, { method, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
      };
      const admin = ((await ask("POST", "/api/tokens", { identity: "admin@example.com", secret: "changeme" })).body as { token: string }).token;
      const viewer = ((await ask("POST", "/api/tokens", { identity: "v@example.com", secret: "pw-view-1" })).body as { token: string }).token;
      const h = (await ask("POST", "/api/nginx/proxy-hosts", host(["a.example.com"]), admin)).body as { id: number };
      expect(await ask("POST", "/api/nginx/proxy-hosts", host(["b.example.com"]), viewer)).toEqual({ status: 500, body: { error: { code: 500, message: "Internal Error" } } });
      expect(await ask("PUT", `/api/nginx/proxy-hosts/${h.id}`, { forward_port: 81 }, viewer)).toMatchObject({ status: 404, body: { error: { message: `Not Found - /nginx/proxy-hosts/${h.id}` } } });
      expect((await ask("DELETE", `/api/nginx/proxy-hosts/${h.id}`, undefined, viewer)).status).toBe(404);
      expect(await ask("POST", "/api/nginx/proxy-hosts", host(["b.example.com"]))).toMatchObject({ status: 404, body: { error: { message: "Not Found - /nginx/proxy-hosts" } } });
      expect(other.hosts().map((x) => x.domain_names)).toEqual([["a.example.com"]]);
    } finally {
      await other.close();
    }
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
    expect((created.body.meta as { letsencrypt_certificate: { issuer: string } }).letsencrypt_certificate.issuer).toMatch(/^CN = Pebble Intermediate CA /);
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

  it("answers a certbot failure with 500 Internal Error, certbot's stderr lines in debug.stack, the command in debug.previous, and keeps no row", async () => {
    const token = await login();
    npm.setCertbotFailure(CERTBOT_FAILURE, 1);
    const failed = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"] }, token);
    expect(failed.status).toBe(500);
    expect(failed.body.error?.message).toBe("Internal Error");
    const debug = failed.body.debug as { stack: string[]; previous: Record<string, unknown> };
    expect(debug.stack).toEqual(["CommandError: Saving debug log to /tmp/letsencrypt-log/letsencrypt.log", ...CERTBOT_FAILURE.split("\n").slice(1)]);
    expect(debug.stack.some((l) => /^\s+at /.test(l))).toBe(false);
    expect(debug.previous).toMatchObject({ code: 1, killed: false, signal: null });
    expect(String(debug.previous.cmd)).toMatch(/^certbot certonly .*--domains "a\.example\.com"/);
    expect(npm.certificates()).toEqual([]);
    expect((await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"] }, token)).status).toBe(201);
  });

  it("carries meta.letsencrypt_certificate in the POST's answer only: a later GET has the meta as posted", async () => {
    const token = await login();
    const created = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"], meta: {} }, token);
    const issuer = (created.body.meta as { letsencrypt_certificate: { issuer: string } }).letsencrypt_certificate.issuer;
    expect(issuer).toMatch(/^CN = Pebble Intermediate CA [0-9a-f]{6}$/);
    const id = created.body.id as number;
    expect((await call("GET", `${PATH}/${id}`, undefined, token)).body.meta).toEqual({});
    expect(((await call("GET", PATH, undefined, token)).body as unknown as { meta: unknown }[])[0].meta).toEqual({});
  });

  it("serves the issued certificate through /download as a zip of certbot's files, with the real issuer and expiry", async () => {
    const token = await login();
    const created = await call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com", "b.example.com"] }, token);
    const res = await fetch(`${npm.url}${PATH}/${created.body.id as number}/download`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    const files = readZip(Buffer.from(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(["cert1.pem", "chain1.pem", "fullchain1.pem", "privkey1.pem"]);
    const cert = new X509Certificate(files["cert1.pem"]);
    expect(cert.subjectAltName).toBe("DNS:a.example.com, DNS:b.example.com");
    expect(cert.issuer).toMatch(/^CN=Pebble Intermediate CA [0-9a-f]{6}$/);
    expect(npmDate(new Date(cert.validTo))).toBe(created.body.expires_on);
  });

  it("runs certbot inside the POST: the row is listed (expires_on = created_on) while it runs, and every host serving the name is out of nginx", async () => {
    const token = await login();
    const served = await call("POST", "/api/nginx/proxy-hosts", host(["a.example.com"]), token);
    const other = await call("POST", "/api/nginx/proxy-hosts", host(["b.example.com"]), token);
    await new Promise((r) => setTimeout(r, 100));
    expect(npm.upstream(served.body.id as number).serving).toBe(true);
    npm.setIssuanceDelay(600);
    const started = Date.now();
    const pending = call("POST", PATH, { provider: "letsencrypt", domain_names: ["a.example.com"] }, token);
    await new Promise((r) => setTimeout(r, 200));
    expect(npm.upstream(served.body.id as number)).toEqual({ serving: false, error: null, outage: "certbot" });
    expect(npm.upstream(other.body.id as number).serving).toBe(true);
    const [row] = npm.certificates();
    expect(row).toMatchObject({ domain_names: ["a.example.com"], meta: {} });
    expect(row.expires_on).toBe(row.created_on);
    const done = await pending;
    expect(done.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(npm.upstream(served.body.id as number).serving).toBe(true);
  });

  it("keeps the certificate when the caller gave up during issuance", async () => {
    const token = await login();
    npm.setIssuanceDelay(400);
    const aborted = fetch(`${npm.url}${PATH}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ provider: "letsencrypt", domain_names: ["a.example.com"] }), signal: AbortSignal.timeout(100) });
    await expect(aborted).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    const [row] = npm.certificates();
    expect(row.expires_on > row.created_on).toBe(true);
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
