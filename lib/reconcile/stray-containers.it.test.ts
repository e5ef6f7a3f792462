import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { getInstance } from "../instances/get-instance";
import { containerLabels } from "../naming";
import { installationId } from "../secrets";
import { runtimeFor } from "../servers/server-runtime";
import { createServer } from "../servers/servers";
import { CADDY, httpGet } from "../../test/helpers/http";
import { multihost } from "../../test/multihost";
import { runSync } from "./run-sync";

// After a move whose old server did not answer (issue 27), the old server's
// container keeps running there. On the real engines: an instance lives on
// h1 (TLS) and a container of it still runs on h2 (SSH), made with the
// runtime as the move left it; a sync stops it (not removes it) and says so,
// leaves another installation's alone, and the site stays up on h1.
const rand = randomBytes(3).toString("hex");
const base = `stray-${rand}.wharf.test`;
const mh = multihost();
const image = `${mh.registries.auth}/lab/web:v1`;
const auth = { username: mh.registries.username, password: mh.registries.password, serveraddress: mh.registries.auth };
const servers = { tls: "", ssh: "" };

beforeAll(async () => {
  process.env.WHARF_HEALTH_TIMEOUT_MS = "30000";
  process.env.WHARF_STOP_TIMEOUT_S = "2";
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: base,
      docker: { network: "wharf-it" },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      registries: [{ host: mh.registries.auth, username: mh.registries.username, password: mh.registries.password }],
    },
  });
  const read = (p: string) => readFileSync(p, "utf8");
  servers.tls = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `tls-s-${rand}`, transport: "tls", address: mh.tls.host, port: mh.tls.port, tls: { ca: read(mh.tls.caPath), cert: read(mh.tls.certPath), key: read(mh.tls.keyPath) } } })).id;
  servers.ssh = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `ssh-s-${rand}`, transport: "ssh", address: mh.ssh.host, port: mh.ssh.port, ssh: { user: mh.ssh.username, privateKey: read(mh.ssh.privateKeyPath), hostKeySha256: mh.ssh.hostKey } } })).id;
}, 60_000);

afterAll(async () => {
  for (const i of await db.instance.findMany({ where: { status: { not: "removed" } } })) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
}, 120_000);

describe("the old server's container after a move", { timeout: 180_000 }, () => {
  it("a sync stops (not removes) a container of the instance still running on the SSH server while it lives on TLS, and reports it; another installation's is left alone", async () => {
    const name = `moved-${rand}`;
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080, server: servers.tls } });
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    expect(inst.status, inst.error ?? "").toBe("running");

    // What a move from h2 leaves when h2 does not answer at its end: the old generation, running, labelled as the instance's.
    const ssh = await runtimeFor(servers.ssh);
    await ssh.pullImage(image, undefined, undefined, auth);
    await ssh.ensureNetwork("wharf-it");
    const spec = { image, env: {}, network: "wharf-it", port: 8080, publishOn: mh.ssh.host, restartPolicy: "no" as const };
    const left = await ssh.createContainer({ ...spec, name: `wharf-${name}-old-${rand}`, labels: containerLabels(created.id, "old-deployment", installationId()) });
    const theirs = await ssh.createContainer({ ...spec, name: `theirs-${name}-${rand}`, labels: containerLabels(created.id, "their-deployment", "another-installation-0000") });
    try {
      await ssh.startContainer(left.id);
      await ssh.startContainer(theirs.id);

      const dry = await runSync({ trigger: "manual", dryRun: true });
      expect(dry.lines.find((l) => l.name === left.name)).toMatchObject({ action: "stop", status: "planned" });
      expect((await ssh.inspectContainer(left.id))?.state).toBe("running");

      const report = await runSync({ trigger: "manual" });
      expect(report.lines.find((l) => l.name === left.name)).toMatchObject({ kind: "container", action: "stop", status: "ok", message: expect.stringContaining(`on server ssh-s-${rand}: instance ${name} runs on tls-s-${rand} now; it was still running there: stopped, not removed`) });
      expect(report.lines.find((l) => l.name === theirs.name)).toBeUndefined();
      expect((await ssh.inspectContainer(left.id))?.state).toBe("exited");
      expect((await ssh.inspectContainer(theirs.id))?.state).toBe("running");
      // The instance itself is untouched and still served from h1.
      const after = await getInstance(created.id);
      expect(after).toMatchObject({ status: "running", containerId: inst.containerId });
      expect((await (await runtimeFor(servers.tls)).inspectContainer(inst.containerId!))?.state).toBe("running");
      expect((await httpGet({ port: CADDY.httpPort, host: `${name}.${base}`, timeoutMs: 3000 })).body).toContain("wharf-test v1");

      // Nothing left to do on the next run.
      const again = await runSync({ trigger: "manual" });
      expect(again.lines.filter((l) => l.action === "stop")).toEqual([]);
    } finally {
      await ssh.removeContainer(left.id);
      await ssh.removeContainer(theirs.id);
    }
  });
});
