import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { TEST_NETWORK } from "../../test/helpers/http";
import { startNpmDouble, type NpmDouble } from "../../test/doubles/npm-double";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "./jobs";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";

// Instance deploys on the real engine with Nginx Proxy Manager (the double)
// as the proxy: one proxy host per instance, switched in place on redeploy,
// with its token expiring in the middle, and deleted on remove.
const rand = randomBytes(3).toString("hex");
const base = `npm-${rand}.wharf.test`;
const EMAIL = "ops@example.com";
const PASSWORD = "npm-deploy-pass";
let npm: NpmDouble;

beforeAll(async () => {
  npm = await startNpmDouble({ email: EMAIL, password: PASSWORD });
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: base, docker: { network: TEST_NETWORK }, proxy: { provider: { type: "npm", url: npm.url, email: EMAIL, password: PASSWORD }, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  await npm.close();
});

it("deploy creates one proxy host, redeploy switches it in place (across a token expiry), remove deletes it; a foreign host survives", async () => {
  const foreign = npm.addHost({ domain_names: [`shop.${base}`], forward_host: "192.0.2.9", forward_port: 80 });
  const fqdn = `web-${rand}.${base}`;
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `web-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
  await waitForJob(created.id);
  const inst = await getInstance(created.id);
  expect(inst.status).toBe("running");
  expect(inst.route.status).toBe("active");
  const mine = () => npm.hosts().filter((h) => h.domain_names.includes(fqdn));
  expect(mine()).toHaveLength(1);
  const first = mine()[0];
  expect(first).toMatchObject({ forward_host: "127.0.0.1", forward_scheme: "http" });

  npm.expireTokens();
  await redeployInstance({ actor: SYSTEM_ACTOR, id: inst.id, body: { image: "wharf-test/web:v2" } });
  await waitForJob(inst.id);
  expect((await getInstance(inst.id)).status).toBe("running");
  expect(mine()).toHaveLength(1);
  expect(mine()[0].id).toBe(first.id);
  // The new container publishes another host port: the same host now forwards there.
  expect(mine()[0].forward_port).not.toBe(first.forward_port);

  await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
  expect(mine()).toHaveLength(0);
  expect(npm.host(foreign.id)).toMatchObject({ forward_host: "192.0.2.9" });
});

it("with TLS mode acme a deploy obtains the certificate through NPM, forces TLS once issued, and remove deletes that certificate", async () => {
  await updateSettings({ actor: SYSTEM_ACTOR, body: { tls: { mode: "acme" } } });
  try {
    const fqdn = `tls-${rand}.${base}`;
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `tls-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    expect(inst.status).toBe("running");
    const cert = npm.certificates().find((c) => c.domain_names.includes(fqdn));
    expect(cert).toBeDefined();
    expect(inst.tls).toMatchObject({ status: "issued", issuer: expect.stringMatching(/^CN=Pebble Intermediate CA /) });
    const host = npm.hosts().find((h) => h.domain_names.includes(fqdn))!;
    expect(host).toMatchObject({ certificate_id: cert!.id, ssl_forced: true, http2_support: true });

    await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
    expect(npm.hosts().filter((h) => h.domain_names.includes(fqdn))).toHaveLength(0);
    expect(npm.certificates().find((c) => c.id === cert!.id)).toBeUndefined();
  } finally {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { tls: { mode: "off" } } });
  }
});
