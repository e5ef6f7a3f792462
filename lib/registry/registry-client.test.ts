import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headManifestDigest, MANIFEST_ACCEPT, parseChallenge, retryAfterMs, testRegistryLogin } from "./registry-client";

// A registry with distribution's token auth (`auth: token`), the flow Docker
// Hub, GHCR, GitLab and Harbor use: 401 with a Bearer challenge, a token from
// the realm for the scope, then the request again with the token. Docker Hub
// cannot be reached here; this double follows the distribution token spec.
const seen: { path: string; auth?: string; accept?: string; method?: string }[] = [];
let limited = false;
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  seen.push({ path: url.pathname + url.search, auth: req.headers.authorization, accept: req.headers.accept, method: req.method });
  const { port } = server.address() as AddressInfo;
  if (url.pathname === "/token") {
    if (req.headers.authorization !== `Basic ${Buffer.from("ci:right").toString("base64")}`) return res.writeHead(401).end('{"details":"incorrect username or password"}');
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `tok-${url.searchParams.get("scope") ?? "none"}` }));
  }
  if (limited) return res.writeHead(429, { "retry-after": "30" }).end();
  const want = url.pathname === "/v2/" ? "tok-none" : "tok-repository:lab/web:pull";
  if (req.headers.authorization !== `Bearer ${want}`) {
    const scope = url.pathname === "/v2/" ? "" : ',scope="repository:lab/web:pull"';
    return res.writeHead(401, { "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="double"${scope}` }).end();
  }
  if (url.pathname === "/v2/lab/web/manifests/v1") return res.writeHead(200, { "docker-content-digest": "sha256:feed" }).end();
  // A registry that leaves the digest header out: the client hashes the manifest itself.
  if (url.pathname === "/v2/lab/web/manifests/bare") return res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(req.method === "HEAD" ? undefined : "{}");
  if (url.pathname === "/v2/") return res.writeHead(200).end("{}");
  res.writeHead(404).end();
});
let registry = "";

beforeAll(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => { registry = `127.0.0.1:${(server.address() as AddressInfo).port}`; r(); })));
afterAll(() => new Promise((r) => server.close(r)));

describe("registry client, token flow", () => {
  it("Test login fetches a token with the credentials and retries /v2/", async () => {
    expect(await testRegistryLogin({ registry, creds: { username: "ci", password: "right" } })).toEqual({ ok: true, message: `logged in to ${registry} as ci` });
    expect(await testRegistryLogin({ registry, creds: { username: "ci", password: "wrong" } })).toEqual({ ok: false, message: `registry ${registry} refused the credentials for /v2/` });
  });

  it("a manifest HEAD asks for the pull scope and sends Docker's Accept list", async () => {
    seen.length = 0;
    expect(await headManifestDigest({ registry, repository: "lab/web", reference: "v1", creds: { username: "ci", password: "right" } })).toBe("sha256:feed");
    expect(seen.map((s) => s.path)).toEqual(["/v2/lab/web/manifests/v1", "/token?service=double&scope=repository%3Alab%2Fweb%3Apull", "/v2/lab/web/manifests/v1"]);
    expect(seen[2]).toMatchObject({ method: "HEAD", accept: MANIFEST_ACCEPT });
  });

  it("without the digest header, hashes the manifest bytes", async () => {
    // sha256 of "{}"
    expect(await headManifestDigest({ registry, repository: "lab/web", reference: "bare", creds: { username: "ci", password: "right" } })).toBe(
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  });

  it("a 429 is a RATE_LIMITED error carrying Retry-After", async () => {
    limited = true;
    try {
      await expect(headManifestDigest({ registry, repository: "lab/web", reference: "v1", creds: null })).rejects.toMatchObject({
        code: "RATE_LIMITED",
        details: { registry, retryAfterMs: 30_000 },
      });
    } finally {
      limited = false;
    }
  });

  it("parses challenges and Retry-After", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/nginx:pull" },
    });
    expect(parseChallenge('Basic realm="x"').scheme).toBe("basic");
    expect(retryAfterMs("12")).toBe(12_000);
    expect(retryAfterMs("Tue, 01 Dec 2026 10:00:30 GMT", Date.parse("Tue, 01 Dec 2026 10:00:00 GMT"))).toBe(30_000);
    expect(retryAfterMs(null)).toBeNull();
  });
});

// Issue 21: a registry (or whoever answers for it) names a token realm on
// another host. A fake registry on 127.0.0.1 and a "realm" on 127.0.0.2: the
// realm must receive no credential unless the operator named it as the auth host.
describe("registry credentials go only to the registry's own host", () => {
  const realmSeen: { auth?: string }[] = [];
  const realmServer = http.createServer((req, res) => {
    realmSeen.push({ auth: req.headers.authorization });
    // A token service that hands anyone a token, or only an authenticated caller.
    if (req.url?.includes("anon=no") && !req.headers.authorization) return res.writeHead(401).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: req.headers.authorization ? "authed" : "anonymous" }));
  });
  let realm = "";
  let anon = "yes";
  const fake = http.createServer((req, res) => {
    if (req.headers.authorization === "Bearer authed" || (req.headers.authorization === "Bearer anonymous" && anon === "yes")) return res.writeHead(200).end("{}");
    res.writeHead(401, { "www-authenticate": `Bearer realm="http://${realm}/token?anon=${anon}",service="fake"` }).end();
  });
  let fakeHost = "";
  beforeAll(async () => {
    await new Promise<void>((r) => realmServer.listen(0, "127.0.0.2", r));
    realm = `127.0.0.2:${(realmServer.address() as AddressInfo).port}`;
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    fakeHost = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => realmServer.close(r));
    await new Promise((r) => fake.close(r));
  });

  it("a realm on another loopback address gets an anonymous token request; no credential reaches it", async () => {
    realmSeen.length = 0;
    anon = "yes";
    expect(await testRegistryLogin({ registry: fakeHost, creds: { username: "ci", password: "secret-pass" } })).toMatchObject({ ok: true });
    expect(realmSeen).toEqual([{ auth: undefined }]);
  });

  it("when the anonymous token is refused, the error says the credentials were withheld and why", async () => {
    realmSeen.length = 0;
    anon = "no";
    const res = await testRegistryLogin({ registry: fakeHost, creds: { username: "ci", password: "secret-pass" } });
    expect(res.ok).toBe(false);
    expect(res.message).toContain(`credentials were not sent to the token realm ${realm}: it is not ${fakeHost}'s own host`);
    expect(res.message).not.toContain("secret-pass");
    expect(realmSeen.every((s) => s.auth === undefined)).toBe(true);
  });

  it("the auth host the operator named for the registry does get the credentials", async () => {
    realmSeen.length = 0;
    anon = "no";
    expect(await testRegistryLogin({ registry: fakeHost, creds: { username: "ci", password: "secret-pass", authHost: realm } })).toMatchObject({ ok: true });
    expect(realmSeen.at(-1)?.auth).toBe(`Basic ${Buffer.from("ci:secret-pass").toString("base64")}`);
  });
});
