import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { adminSocketPath, CaddyAdmin } from "./caddy-admin";

// Wharf's own Caddy listens on a unix socket only (issue 24b). A Node server
// on a socket stands in for it here; the real Caddy is in the integration tests.
type Seen = { method?: string; url?: string; host: string | undefined; origin: string | undefined; body: string };
const seen: Seen[] = [];
let dir: string;
let server: http.Server;
let tcp: http.Server;
let tcpPort = 0;

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString("utf8")));
  req.on("end", () => {
    seen.push({ method: req.method, url: req.url, host: req.headers.host, origin: req.headers.origin, body });
    // Like Caddy 2.6 on a socket: only an empty Host is allowed.
    if (req.headers.host !== "") {
      res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ error: `host not allowed: ${req.headers.host}` }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(req.method === "GET" ? JSON.stringify({ wharf: { routes: [] } }) : "");
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "wharf-admin-sock-"));
  server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(path.join(dir, "admin.sock"), r));
  tcp = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, host: req.headers.host, origin: req.headers.origin, body: "" });
    res.writeHead(200).end("null");
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await new Promise((r) => tcp.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("CaddyAdmin over a unix socket (unix:///abs/path)", () => {
  it("reads and writes through the socket with an empty Host and no Origin", async () => {
    seen.length = 0;
    const admin = new CaddyAdmin(`unix://${dir}/admin.sock`, 2_000);
    expect((await admin.get("/config/apps/http/servers")).value).toEqual({ wharf: { routes: [] } });
    expect(await admin.write("POST", "/config/apps/http/servers/wharf/routes", { "@id": "x" })).toBe("done");
    expect(seen).toEqual([
      { method: "GET", url: "/config/apps/http/servers", host: "", origin: undefined, body: "" },
      { method: "POST", url: "/config/apps/http/servers/wharf/routes", host: "", origin: undefined, body: '{"@id":"x"}' },
    ]);
  });

  it("names the socket when nothing listens there", async () => {
    const err = await new CaddyAdmin(`unix://${dir}/missing.sock`, 2_000).get("/config/").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain(`Caddy admin API at unix://${dir}/missing.sock is unreachable`);
  });

  it("keeps an http admin URL as it was: its host and port, Host from the URL, Origin sent", async () => {
    seen.length = 0;
    await new CaddyAdmin(`http://127.0.0.1:${tcpPort}/`, 2_000).get("/config/");
    expect(seen).toEqual([{ method: "GET", url: "/config/", host: `127.0.0.1:${tcpPort}`, origin: `http://127.0.0.1:${tcpPort}`, body: "" }]);
  });

  it("tells a socket URL from an http one and refuses a relative socket path", () => {
    expect(adminSocketPath("unix:///run/wharf/admin.sock")).toBe("/run/wharf/admin.sock");
    expect(adminSocketPath("http://127.0.0.1:2019")).toBeNull();
    expect(() => adminSocketPath("unix://admin.sock")).toThrow(/absolute socket path/);
  });
});
