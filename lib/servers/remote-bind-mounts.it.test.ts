import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { resetEnvCache } from "../env";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { mountsForCreate } from "../deployer/check-mounts";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { redeployInstance } from "../deployer/redeploy-instance";
import { removeInstance } from "../deployer/remove-instance";
import { startInstance, stopInstance } from "../deployer/stop-start-instance";
import { getInstance } from "../instances/get-instance";
import { listDeployments } from "../instances/list-deployments";
import { multihost } from "../../test/multihost";
import { runtimeFor } from "./server-runtime";
import { createServer, updateServer } from "./servers";

// Bind mounts on remote servers (issue 27), on the real engines in network
// namespaces: h1 over mutual TLS, h2 over SSH. Each server has its own bind
// root, and a source is resolved ON THE SERVER by a helper container on its
// engine. What "the server's filesystem" is here: the namespaces are network
// namespaces only (multihost.sh: nsenter --net), so h1 and h2 see this
// machine's filesystem. The test is honest about that by not leaning on it:
// the files are made through a container on the server's own engine (as one
// would reach a remote host's disk), Wharf's own WHARF_BIND_ROOT is unset
// (so the local check, which would refuse every bind mount, cannot be what
// passes them), and each check is seen as a helper container in that
// engine's own event stream.
const rand = randomBytes(3).toString("hex");
const mh = multihost();
const kinds = ["tls", "ssh"] as const;
type Kind = (typeof kinds)[number];
const sock = (kind: Kind) => mh.hosts[kind === "tls" ? 0 : 1].socket;
const dockerOn = (kind: Kind, args: string[]) => execFileSync("docker", ["-H", `unix://${sock(kind)}`, ...args], { encoding: "utf8" });
const roots: Record<Kind, string> = { tls: `/tmp/wharf-rbind-${rand}-h1`, ssh: `/tmp/wharf-rbind-${rand}-h2` };
/** Runs a shell script on the server, with its bind root mounted (a container on its engine; the public registry needs no login). */
const onHost = (kind: Kind, script: string) => dockerOn(kind, ["run", "--rm", "--network", "none", "-v", `${roots[kind]}:${roots[kind]}`, `${mh.registries.public}/lab/web:v1`, "sh", "-c", script]);
const image = `${mh.registries.auth}/lab/web:v1`;
const servers: Record<Kind, string> = { tls: "", ssh: "" };
const serverName = (kind: Kind) => `${kind}-b-${rand}`;
/** The helper containers that started on a server's engine since `since` (unix seconds). */
const helperStarts = (kind: Kind, since: number) =>
  dockerOn(kind, ["events", "--since", String(since), "--until", String(Math.ceil(Date.now() / 1000) + 1), "--filter", "label=wharf.helper=bind-check", "--filter", "event=start", "--format", "{{.Actor.Attributes.name}}"]).split("\n").filter(Boolean);

async function failure(p: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; field?: string; message: string };
  }
  throw new Error("expected a refusal");
}
async function bindSources(kind: Kind, containerId: string): Promise<string[]> {
  const mounts = JSON.parse(dockerOn(kind, ["inspect", "--format", "{{json .HostConfig.Mounts}}", containerId])) as Array<{ Type: string; Source: string }> | null;
  return (mounts ?? []).filter((m) => m.Type === "bind").map((m) => m.Source);
}

beforeAll(async () => {
  delete process.env.WHARF_BIND_ROOT;
  // The helper comes from the registry that needs a login: pulled with the stored credentials, as an instance's image is.
  process.env.WHARF_HELPER_IMAGE = image;
  process.env.WHARF_HEALTH_TIMEOUT_MS = "30000";
  process.env.WHARF_STOP_TIMEOUT_S = "2";
  resetEnvCache();
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: `rbind-${rand}.wharf.test`,
      docker: { network: "wharf-it" },
      proxy: { provider: null, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      registries: [{ host: mh.registries.auth, username: mh.registries.username, password: mh.registries.password }],
    },
  });
  const read = (p: string) => readFileSync(p, "utf8");
  servers.tls = (await createServer({ actor: SYSTEM_ACTOR, body: { name: serverName("tls"), transport: "tls", address: mh.tls.host, port: mh.tls.port, tls: { ca: read(mh.tls.caPath), cert: read(mh.tls.certPath), key: read(mh.tls.keyPath) } } })).id;
  servers.ssh = (await createServer({ actor: SYSTEM_ACTOR, body: { name: serverName("ssh"), transport: "ssh", address: mh.ssh.host, port: mh.ssh.port, ssh: { user: mh.ssh.username, privateKey: read(mh.ssh.privateKeyPath), hostKeySha256: mh.ssh.hostKey } } })).id;
  for (const kind of kinds) {
    onHost(kind, `set -e; r=${roots[kind]}; mkdir -p $r/real; echo "on ${kind} host" > $r/real/hello.txt; ln -s $r/real $r/x; ln -s / $r/to-root; ln -s /etc $r/to-etc; mkdir $r/site; echo site > $r/site/index.html`);
  }
}, 120_000);

afterAll(async () => {
  for (const i of await db.instance.findMany({ where: { status: { not: "removed" } } })) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  // The same directories, through this machine's view of the shared filesystem.
  for (const kind of kinds) rmSync(roots[kind], { recursive: true, force: true });
}, 120_000);

describe.each(kinds)("bind mounts on the %s server", { timeout: 120_000 }, (kind) => {
  const root = roots[kind];
  const name = `${kind}-bind-${rand}`;
  let id = "";
  let first = "";

  it("are refused while the server has no bind root, naming the mount and the setting", async () => {
    const err = await failure(createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080, server: servers[kind], mounts: [{ type: "bind", source: `${root}/x`, target: "/host" }] } }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringContaining("bindRoot") });
    expect(await db.instance.count({ where: { name } })).toBe(0);
    await updateServer({ actor: SYSTEM_ACTOR, id: servers[kind], body: { bindRoot: root } });
  });

  it("a source under the root deploys: the container gets the path resolved on the server (not the typed link) and sees the host's file", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080, server: servers[kind], mounts: [{ type: "bind", source: `${root}/x`, target: "/host", readOnly: true }] } });
    id = created.id;
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status, inst.error ?? "").toBe("running");
    first = inst.containerId!;
    expect(await bindSources(kind, first)).toEqual([`${root}/real`]);
    expect(dockerOn(kind, ["exec", first, "cat", "/host/hello.txt"]).trim()).toBe(`on ${kind} host`);
    // Checked on that server's engine (the API's check and the create's), and the helpers are gone.
    expect(helperStarts(kind, since).length).toBeGreaterThanOrEqual(2);
    expect(dockerOn(kind, ["ps", "-aq", "--filter", "label=wharf.helper"]).trim()).toBe("");
  });

  it.each([
    ["a source outside the root", "/etc", "outside the bind-mount root"],
    ["a .. path", `${root}/../etc`, "must not contain .."],
    ["a symlink in the root to /", `${root}/to-root`, "resolves to /)"],
    ["a symlink in the root to /etc", `${root}/to-etc`, "resolves to /etc)"],
    ["a missing source", `${root}/missing`, "does not exist on server"],
  ])("%s is refused on the server, naming the mount; nothing is stored", async (_what, source, text) => {
    const n = `${kind}-esc-${randomBytes(2).toString("hex")}`;
    const err = await failure(createInstance({ actor: SYSTEM_ACTOR, body: { name: n, image, port: 8080, server: servers[kind], mounts: [{ type: "bind", source, target: "/host" }] } }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringContaining(text) });
    expect(await db.instance.count({ where: { name: n } })).toBe(0);
  });

  it("a .. path that reaches the create step (a row stored before the API refused ..) is judged there: out of the root before the server is asked, through a link on the server", async () => {
    const rt = await runtimeFor(servers[kind]);
    const at = (source: string) => mountsForCreate({ rt, instanceId: id, mounts: [{ type: "bind", source, target: "/host", readOnly: false }] });
    // Events have a one-second grain: the helpers of the last minute, before and after, are the same ones.
    const since = Math.floor(Date.now() / 1000) - 60;
    const before = helperStarts(kind, since);
    expect(await failure(at(`${root}/../etc`))).toMatchObject({ field: "mounts.0.source", message: expect.stringContaining(`outside the bind-mount root ${root}`) });
    expect(helperStarts(kind, since)).toEqual(before);
    expect(await failure(at(`${root}/real/../../..${root}/to-root`))).toMatchObject({ field: "mounts.0.source", message: expect.stringContaining("resolves to /)") });
  });

  it("the link swapped for one to / after it was checked: the redeploy and the create step refuse it; the old container keeps running", async () => {
    onHost(kind, `rm ${root}/x && ln -s / ${root}/x`);
    const err = await failure(redeployInstance({ actor: SYSTEM_ACTOR, id, body: {} }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringContaining("resolves to /)") });
    // A row stored while the link was good reaches the create step unchecked by the API: it checks again, on the server.
    const rt = await runtimeFor(servers[kind]);
    const planted = [{ type: "bind" as const, source: `${root}/x`, target: "/host", readOnly: true }];
    expect(await failure(mountsForCreate({ rt, instanceId: id, mounts: planted }))).toMatchObject({ field: "mounts.0.source", message: expect.stringContaining("resolves to /)") });
    expect((await getInstance(id)).containerId).toBe(first);
    expect(dockerOn(kind, ["inspect", "--format", "{{.State.Running}}", first]).trim()).toBe("true");
    onHost(kind, `rm ${root}/x && ln -s ${root}/real ${root}/x`);
    expect(await mountsForCreate({ rt, instanceId: id, mounts: planted })).toEqual([{ ...planted[0], source: `${root}/real` }]);
  });

  it("start of a stopped container whose source became a link to / is refused on the server", async () => {
    await stopInstance({ actor: SYSTEM_ACTOR, id });
    await waitForJob(id);
    onHost(kind, `mv ${root}/real ${root}/real-old && ln -s / ${root}/real`);
    try {
      await startInstance({ actor: SYSTEM_ACTOR, id }).catch(() => undefined);
      await waitForJob(id);
      const [last] = await listDeployments({ instanceId: id, limit: 1 });
      expect(last.status).toBe("failed");
      expect(last.error ?? "").toMatch(/real:\/host: .*resolves to \/\)/);
      expect(dockerOn(kind, ["inspect", "--format", "{{.State.Running}}", first]).trim()).toBe("false");
    } finally {
      onHost(kind, `rm ${root}/real && mv ${root}/real-old ${root}/real`);
    }
  });
});
