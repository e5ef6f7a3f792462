import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { get } from "./http";

export interface CaddyTarget {
  admin: string;
  server: string;
  httpPort: number;
  /** Stops the Caddy this bench started (by its pid); a no-op for the shared one. */
  stop(): Promise<void>;
  shared: boolean;
}

/** The Caddy of test/services/start.sh. Other sessions' tests reconfigure and restart it. */
export const SHARED_CADDY: CaddyTarget = { admin: "http://127.0.0.1:2019", server: "wharf", httpPort: 8480, stop: async () => undefined, shared: true };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A Caddy of the bench's own, configured like test/services/start.sh's (server
 * "wharf", automatic HTTPS off) on free loopback ports: a Caddy shared with
 * other test runs gets restarted and reconfigured under the load test, and
 * its errors would be charged to Wharf.
 */
export async function startPrivateCaddy(dir: string): Promise<CaddyTarget> {
  const [adminPort, httpPort] = [await freePort(), await freePort()];
  const file = path.join(dir, "caddy.json");
  writeFileSync(
    file,
    JSON.stringify({
      admin: { listen: `127.0.0.1:${adminPort}` },
      apps: { http: { servers: { wharf: { listen: [`127.0.0.1:${httpPort}`], automatic_https: { disable: true }, routes: [] } } } },
    }),
  );
  const child = spawn("caddy", ["run", "--config", file], { stdio: "ignore", env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const admin = `http://127.0.0.1:${adminPort}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`caddy exited with ${child.exitCode} before its admin API answered`);
    if ((await get(adminPort, { path: "/config/" }))?.status === 200) break;
    if (i > 100) {
      child.kill("SIGKILL");
      throw new Error("caddy admin API did not answer within 10 s");
    }
    await sleep(100);
  }
  return {
    admin,
    server: "wharf",
    httpPort,
    shared: false,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** One admin API call (node:http; loopback only). Resolves with the status. */
export function caddyAdmin(admin: string, method: string, path: string, body?: unknown): Promise<number> {
  const url = new URL(path, admin);
  if (url.hostname !== "127.0.0.1") throw new Error("the bench only talks to a Caddy on 127.0.0.1");
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
