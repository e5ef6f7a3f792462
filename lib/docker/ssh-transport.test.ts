// The pool's invariants against a real SSH server (ssh2's own Server, on
// loopback) whose exec channels are piped to a small HTTP server, as
// `docker system dial-stdio` pipes them to the engine. The real sshd + dockerd
// run is lib/docker/remote-runtime.it.test.ts.
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Server, utils, type Connection } from "ssh2";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sshFingerprint } from "./ssh-host-key";
import { closeAllSshConnections, closeSshConnection, configureSshTransport, resetSshTransportSettings, sshConnectionState, sshDockerAgent, type SshTarget } from "./ssh-transport";

const hostKey = utils.generateKeyPairSync("ed25519");
const clientKey = utils.generateKeyPairSync("ed25519");
const parsedHostKey = utils.parseKey(hostKey.public);
if (parsedHostKey instanceof Error) throw parsedHostKey;
const fingerprint = sshFingerprint(parsedHostKey.getPublicSSH());

let logins = 0;
let execs = 0;
const clients = new Set<Connection>();
const held: (() => void)[] = [];
const backend = http.createServer((req, res) => {
  if (req.url === "/hold") held.push(() => res.end("released"));
  else res.end("ok");
});
const sshd = new Server({ hostKeys: [hostKey.private] }, (client) => {
  clients.add(client);
  client.on("close", () => clients.delete(client));
  client.on("error", () => {});
  client.on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject(["publickey"])));
  client.on("ready", () => {
    logins++;
    client.on("session", (accept) => {
      accept().on("exec", (acceptExec, reject, info) => {
        if (info.command !== "docker system dial-stdio") return reject();
        execs++;
        const ch = acceptExec();
        const sock = net.connect((backend.address() as AddressInfo).port, "127.0.0.1");
        ch.pipe(sock).pipe(ch);
        sock.on("close", () => ch.close());
        ch.on("close", () => sock.destroy());
      });
    });
  });
});

let port = 0;
const target = (over: Partial<SshTarget> = {}): SshTarget => ({ host: "127.0.0.1", port, username: "deploy", privateKey: clientKey.private, hostKey: fingerprint, ...over });

function get(agent: http.Agent, path = "/_ping"): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve(body));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

const until = async (cond: () => boolean, ms = 3_000) => {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => sshd.listen(0, "127.0.0.1", r));
  port = (sshd.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const r of held.splice(0)) r();
  await closeAllSshConnections();
  resetSshTransportSettings();
  logins = 0;
  execs = 0;
});

afterAll(async () => {
  for (const c of clients) c.end();
  await new Promise((r) => sshd.close(r));
  await new Promise((r) => backend.close(r));
});

describe("the SSH transport", () => {
  it("carries many calls, concurrent ones beyond the channel limit included, as channels of ONE connection", async () => {
    configureSshTransport({ maxChannels: 3 });
    const agent = sshDockerAgent(target());
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(agent)));
    for (let i = 0; i < 8; i++) answers.push(await get(sshDockerAgent(target())));
    expect(answers.every((a) => a === "ok")).toBe(true);
    expect(logins).toBe(1);
    expect(execs).toBe(20);
    await until(() => sshConnectionState(target())?.openChannels === 0);
    expect(sshConnectionState(target())).toMatchObject({ connected: true, connects: 1, busy: 0 });
  });

  it("refuses a host key other than the recorded one, with both fingerprints; no login", async () => {
    const other = "SHA256:ecMPJPnhRNo97H2/6xJhmuM4CLZgMadwZwZn8lCd4yk";
    const err = (await get(sshDockerAgent(target({ hostKey: other }))).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain(`expected ${other}, presented ${fingerprint}`);
    expect(logins).toBe(0);
  });

  it("waits for a running call before closing the connection; later calls reconnect", async () => {
    const agent = sshDockerAgent(target());
    expect(await get(agent)).toBe("ok");
    const running = get(agent, "/hold");
    await until(() => held.length === 1);
    let closed = false;
    const closing = closeSshConnection({ host: "127.0.0.1", port }).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false);
    expect(clients.size).toBe(1);

    held.shift()?.();
    expect(await running).toBe("released");
    await closing;
    await until(() => clients.size === 0); // the server saw the connection end
    expect(await get(agent)).toBe("ok"); // the same agent: a new connection from the pool
    expect(logins).toBe(2);
  });

  it("fails the calls in flight with a clear error when the connection drops, and reconnects on the next call", async () => {
    const agent = sshDockerAgent(target());
    expect(await get(agent)).toBe("ok");
    const running = get(agent, "/hold").catch((e: unknown) => e as Error);
    await until(() => held.length === 1);
    for (const c of clients) c.end(); // the server goes away under the call

    const err = await running;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/SSH connection to deploy@127\.0\.0\.1:\d+ was lost/);
    await until(() => sshConnectionState(target())?.connected === false);
    expect(await get(agent)).toBe("ok");
    expect(logins).toBe(2);
  });

  it("closes an idle connection and reconnects on the next call", async () => {
    configureSshTransport({ idleCloseMs: 100 });
    const agent = sshDockerAgent(target());
    expect(await get(agent)).toBe("ok");
    await until(() => clients.size === 0);
    expect(sshConnectionState(target())?.connected).toBe(false);
    expect(await get(agent)).toBe("ok");
    expect(logins).toBe(2);
  });

  it("backs off after a failed connect: calls inside the window fail fast with the reason", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    configureSshTransport({ backoffBaseMs: 5_000 });
    const agent = sshDockerAgent(target({ port: deadPort }));
    const first = (await get(agent).catch((e: unknown) => e)) as Error;
    expect(first.message).toMatch(/unreachable at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    const t0 = Date.now();
    const second = (await get(agent).catch((e: unknown) => e)) as Error;
    expect(second.message).toMatch(/ECONNREFUSED.*next attempt in [1-5]s/);
    expect(Date.now() - t0).toBeLessThan(200);
  });

  it("times out a server that accepts TCP but never speaks SSH", async () => {
    const mute = net.createServer(() => {});
    await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
    try {
      configureSshTransport({ connectTimeoutMs: 300 });
      const t0 = Date.now();
      const err = (await get(sshDockerAgent(target({ port: (mute.address() as AddressInfo).port }))).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/did not complete within/);
      expect(Date.now() - t0).toBeLessThan(2_000);
    } finally {
      mute.close();
    }
  });
});
