import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startNpmDouble, type NpmDouble } from "../../test/doubles/npm-double";
import { routeId } from "../naming";
import { defaultAcme } from "../settings/defaults";
import { NpmProvider } from "./npm";
import type { RouteSpec, RouteTls } from "./types";

// A custom domain (issue 25) is one more host on the instance's route: with
// NPM that is one more domain name on the same proxy host, and a certificate
// covering the route's names; taking the host off again leaves the instance's
// own name as it was.
const EMAIL = "ops@example.com";
const PASSWORD = "s3cret-pass";
const ACME: RouteTls["issuer"] = { mode: "acme", acme: defaultAcme() };
let npm: NpmDouble;
let provider: NpmProvider;

const spec = (hosts: string[]): RouteSpec => ({
  id: routeId("instance", "web"),
  consumer: { type: "instance", id: "web" },
  hosts,
  upstream: { scheme: "http", host: "192.0.2.10", port: 8080 },
  tls: { issuer: ACME, redirect: false, hsts: false },
});

beforeEach(async () => {
  npm = await startNpmDouble({ email: EMAIL, password: PASSWORD });
  provider = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD });
});
afterEach(async () => npm.close());

describe("NpmProvider with a custom domain on an instance's route", () => {
  it("serves the extra host on the same proxy host with a certificate for it, and drops it again", async () => {
    const first = await provider.ensureRoute(spec(["web.apps.example.com"]));
    const added = await provider.ensureRoute(spec(["web.apps.example.com", "shop.example.org"]));
    expect(added.providerId).toBe(first.providerId);
    expect(npm.hosts()).toHaveLength(1);
    expect([...npm.hosts()[0].domain_names].sort()).toEqual(["shop.example.org", "web.apps.example.com"]);
    expect((await provider.listRoutes()).map((r) => [...r.hosts].sort())).toEqual([["shop.example.org", "web.apps.example.com"]]);
    expect(npm.certificates().map((c) => [...c.domain_names].sort())).toEqual([["shop.example.org", "web.apps.example.com"]]);
    expect(await provider.inspectCertificate("shop.example.org", ACME)).toMatchObject({ status: "issued" });

    await provider.ensureRoute(spec(["web.apps.example.com"]));
    expect(npm.hosts()[0].domain_names).toEqual(["web.apps.example.com"]);
    expect(npm.certificates().map((c) => c.domain_names)).toEqual([["web.apps.example.com"]]);
    expect(await provider.inspectCertificate("shop.example.org", ACME)).not.toMatchObject({ status: "issued" });
  });
});
