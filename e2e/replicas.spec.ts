import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, request, test, type APIRequestContext } from "@playwright/test";
import { adminQuery, createScratchDatabase } from "../test/helpers/pg";

// Issue 26, "Checked by": two replicas of the production build (`next start`,
// the build this Playwright run already uses) on ports 3917 and 3918, on one
// scratch PostgreSQL database with the same three secrets. A sign-in on one
// works on the other, an instance created through one is listed by the other,
// syncs fired at both at once run once (the other answers the busy status),
// and a replica without WHARF_ENCRYPTION_KEY refuses to start and says why.
// Needs the PostgreSQL of test/services/start.sh; no browser.

const PORTS = [3917, 3918] as const;
const ADMIN = { email: "replicas@example.com", password: "replicas-admin-password" };
const SECRETS = {
  NEXTAUTH_SECRET: "e2e-replicas-nextauth-secret-0123456789",
  WHARF_ENCRYPTION_KEY: "e2e-replicas-encryption-key-0123456789",
  CRON_SECRET: "e2e-replicas-cron-secret-0123456789",
};

test.describe.configure({ mode: "serial", timeout: 180_000 });

let scratch: { url: string; drop: () => Promise<void> };
let engine: Server;
const servers: ChildProcess[] = [];
const logs = new Map<ChildProcess, string>();

/** A Docker engine that answers every call after 1.5 s with an error: a sync takes long enough for two to overlap, a deploy fails, nothing real is touched. */
function slowEngine(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    setTimeout(() => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "slow test engine: no containers here" }));
    }, 1500);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function startReplica(port: number, env: Record<string, string>): ChildProcess {
  // node itself (not npx), so that SIGTERM reaches the server.
  const child = spawn(process.execPath, [path.resolve("node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    env: {
      ...process.env,
      DATABASE_URL: scratch.url,
      ...SECRETS,
      WHARF_DATA_DIR: mkdtempSync(path.join(tmpdir(), `wharf-replica-${port}-`)),
      WHARF_ADMIN_EMAIL: ADMIN.email,
      WHARF_ADMIN_PASSWORD: ADMIN.password,
      WHARF_SCHEDULER: "off",
      WHARF_USAGE_INTERVAL_S: "0",
      DOCKER_HOST: `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}`,
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  logs.set(child, "");
  const keep = (d: Buffer) => logs.set(child, (logs.get(child)! + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  servers.push(child);
  return child;
}

async function waitHealthy(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`replica on ${port} exited (${child.exitCode}): ${logs.get(child)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`replica on ${port} not healthy within 90 s: ${logs.get(child)}`);
}

const context = (port: number, storageState?: Awaited<ReturnType<APIRequestContext["storageState"]>>) =>
  request.newContext({ baseURL: `http://127.0.0.1:${port}`, extraHTTPHeaders: { origin: `http://127.0.0.1:${port}` }, storageState });

test.beforeAll(async () => {
  scratch = await createScratchDatabase("wharf_e2e_replicas");
  engine = await slowEngine();
  // Both at once, as replicas behind a balancer start: migrations take turns on the advisory lock.
  const children = PORTS.map((p) => startReplica(p, {}));
  await Promise.all(PORTS.map((p, i) => waitHealthy(p, children[i])));
});

test.afterAll(async () => {
  for (const s of servers) if (s.exitCode === null) s.kill("SIGTERM");
  await Promise.all(servers.map((s) => (s.exitCode === null ? new Promise((r) => s.once("exit", r)) : null)));
  await new Promise((r) => engine?.close(r));
  await scratch?.drop();
});

test("a session signed in on one replica works on the other; an instance created on one is listed by the other", async () => {
  const a = await context(PORTS[0]);
  const csrf = (await (await a.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const login = await a.post("/api/auth/callback/credentials", { form: { csrfToken: csrf.csrfToken, email: ADMIN.email, password: ADMIN.password, json: "true" }, maxRedirects: 0 });
  expect([200, 302]).toContain(login.status());
  // The other replica, with only the cookie the first one set.
  const b = await context(PORTS[1], await a.storageState());
  expect(((await (await b.get("/api/auth/session")).json()) as { user?: { email?: string } }).user?.email).toBe(ADMIN.email);
  const me = await b.get("/api/instances");
  expect(me.status()).toBe(200);

  const created = await a.post("/api/instances", { data: { name: "replicated", image: "nginx:1.27", port: 80 } });
  expect(created.status(), await created.text()).toBeLessThan(300);
  const { id } = (await created.json()) as { id: string };
  const list = (await (await b.get("/api/instances")).json()) as { items: { id: string; name: string }[] };
  expect(list.items.map((i) => i.name)).toContain("replicated");
  expect((await b.get(`/api/instances/${id}`)).status()).toBe(200);
  // Every page renders on both replicas: the pages read the installation id the start-up loaded from
  // PostgreSQL (a page bundle once had its own empty copy of it: the dashboard answered 500).
  for (const ctx of [a, b]) {
    for (const path of ["/", "/instances", `/instances/${id}`, "/proxies", "/dns", "/activity", "/settings"]) {
      const page = await ctx.get(path);
      expect(page.status(), `${path}: ${(await page.text()).slice(0, 200)}`).toBe(200);
    }
  }
  await a.dispose();
  await b.dispose();
});

test("syncs fired at both replicas at once run once: the other answers 409 SYNC_IN_PROGRESS", async () => {
  const before = Number((await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "SyncRun"`, [], scratch.url))[0].n);
  const [x, y] = PORTS.map((p) => fetch(`http://127.0.0.1:${p}/api/cron/sync`, { headers: { authorization: `Bearer ${SECRETS.CRON_SECRET}` }, signal: AbortSignal.timeout(60_000) }));
  const answers = await Promise.all([x, y].map(async (r) => ({ status: (await r).status, body: (await (await r).json()) as { error?: { code: string; details?: { syncId?: string } } } })));
  expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
  const busy = answers.find((r) => r.status === 409)!;
  expect(busy.body.error?.code).toBe("SYNC_IN_PROGRESS");
  const runs = await adminQuery<{ id: string }>(`SELECT id FROM "SyncRun" ORDER BY "startedAt" DESC`, [], scratch.url);
  expect(runs.length - before).toBe(1);
  expect(busy.body.error?.details?.syncId).toBe(runs[0].id);
});

test("a replica started without WHARF_ENCRYPTION_KEY refuses to start and says why", async () => {
  const child = startReplica(3919, { WHARF_ENCRYPTION_KEY: "" });
  // Next runs the start-up (instrumentation) when the server starts; a request makes sure it has.
  const poke = setInterval(() => void fetch("http://127.0.0.1:3919/api/health").catch(() => {}), 1000);
  try {
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));
    expect(code).toBe(1);
  } finally {
    clearInterval(poke);
  }
  expect(logs.get(child)).toContain("WHARF_ENCRYPTION_KEY must be set in the environment");
});
