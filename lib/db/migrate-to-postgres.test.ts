import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createScratchDatabase } from "../../test/helpers/pg";
import { PrismaClient as PgPrismaClient } from "../generated/prisma-pg/client";
import { env, resetEnvCache } from "../env";
import { formatReport, migrateToPostgres, redactUrl, type MigrateToPostgresResult } from "./migrate-to-postgres";

// `wharf db migrate-to-postgres` (issue 26): a SQLite data folder seeded
// through Wharf's own functions is copied into a scratch PostgreSQL database
// (test/helpers/pg.ts), then read back with Wharf's PostgreSQL client and,
// with the same secrets, through Wharf's own code on PostgreSQL: the secret
// decrypts, the token and the session still work, the installation id moved.
// Runs in the `unit` project: the app's backend here must be SQLite (the source).

// The deploy that createInstance starts must fail fast, not reach this machine's engine.
process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
resetEnvCache();

const MODELS = [
  "user", "apiToken", "loginThrottle", "setting", "instance", "deployment", "deploymentStep", "standaloneProxy", "dnsRecord",
  "syncRun", "auditEvent", "lease", "usageSample", "customDomain", "npmCertificateIntent", "notificationChannel", "notificationEvent", "notificationDelivery",
  "server", "usageCoverage",
] as const;
const SAMPLES = 100_000;

/** The database's bytes: the file and its write-ahead log. */
const sha = (file: string) => {
  const h = createHash("sha256").update(readFileSync(file));
  if (existsSync(`${file}-wal`)) h.update(readFileSync(`${file}-wal`));
  return h.digest("hex");
};
type Delegate = { findMany: (args?: unknown) => Promise<Record<string, unknown>[]>; count: () => Promise<number> };
const delegate = (client: unknown, model: string) => (client as Record<string, Delegate>)[model];
const orderOf = (model: string) => (model === "setting" || model === "loginThrottle" ? { key: "asc" } : model === "lease" ? { name: "asc" } : model === "usageCoverage" ? { instanceId: "asc" } : { id: "asc" });

describe("wharf db migrate-to-postgres", { timeout: 240_000 }, () => {
  const file = () => path.join(env().dataDir, "wharf.db");
  const seeded: { token: string; sessionJwt: string; userId: string; installationId: string; secrets: Record<string, string> } = {} as never;
  const scratch: { drop: () => Promise<void> }[] = [];

  beforeAll(async () => {
    const { SYSTEM_ACTOR, recordEvent } = await import("../audit/record-event");
    const { createUser } = await import("../auth/users");
    const { createApiToken } = await import("../auth/tokens");
    const { verifyLogin } = await import("../auth/verify-login");
    const { updateSettings } = await import("../configuration/update-settings");
    const { createInstance } = await import("../deployer/create-instance");
    const { createProxy } = await import("../standalone-proxies/create-proxy");
    const { createChannel } = await import("../notifications/channels");
    const { emitEventQuietly } = await import("../outbox/emit-event");
    const { runSync } = await import("../reconcile/run-sync");
    const { installationId, appSecrets } = await import("../secrets");
    const { encode } = await import("next-auth/jwt");
    const { db } = await import("../db");

    const admin = await createUser({ actor: SYSTEM_ACTOR, body: { email: "ops@example.com", password: "long-enough-pw", role: "admin" } });
    await createUser({ actor: SYSTEM_ACTOR, body: { email: "viewer@example.com", password: "long-enough-pw", role: "viewer" } });
    const user = await db.user.findUniqueOrThrow({ where: { email: admin.email } });
    seeded.userId = user.id;
    seeded.token = (await createApiToken({ actor: SYSTEM_ACTOR, userId: user.id, body: { name: "ci", role: "admin" } })).token;
    seeded.sessionJwt = await encode({ token: { uid: user.id, sv: user.sessionVersion, email: user.email }, secret: appSecrets().authSecret });
    await verifyLogin({ email: "ops@example.com", password: "wrong-password", address: "203.0.113.9" }).catch(() => {}); // LoginThrottle, audit
    await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: "https://hooks.example.com/x", secret: "webhook-secret-456" }, events: ["deploy.failed"] } });
    const inst = await createInstance({ actor: SYSTEM_ACTOR, body: { name: "web", image: "nginx:1.27", port: 80, env: [{ key: "API_KEY", value: "env-secret-789", secret: true }] } });
    for (let i = 0; (await db.deployment.count({ where: { instanceId: inst.id, status: "running" } })) > 0; i++) {
      if (i > 240) throw new Error("the seeded deploy did not finish");
      await new Promise((r) => setTimeout(r, 250));
    }
    // A finished redeploy with its steps, as the recorder leaves one (the failed deploy above stopped before any step).
    await db.deployment.create({
      data: {
        instanceId: inst.id, kind: "redeploy", image: "nginx:1.27", status: "succeeded", cancelRequested: false, actor: "system", finishedAt: new Date(),
        steps: { create: [{ position: 0, name: "pull", status: "succeeded", bytesDone: 1234, bytesTotal: 5678, layersDone: 3, layersTotal: 3, finishedAt: new Date() }, { position: 1, name: "health", status: "failed", message: "503 ✗" }] },
      },
    });
    // A remote server (issue 27) holding an instance row: the copy orders Server before Instance.
    const { createServer } = await import("../servers/servers");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const edge = await createServer({ actor: SYSTEM_ACTOR, body: { name: "edge", transport: "tls", address: "198.18.0.11", tls: { ca: pem, cert: pem, key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n" } } });
    await db.instance.create({ data: { name: "remote", image: "nginx:1.27", subdomain: "remote", port: 80, status: "stopped", serverId: edge.id } });
    await createProxy({ actor: SYSTEM_ACTOR, body: { domain: "legacy.wharf.localhost", upstream: "http://127.0.0.1:8080", websockets: true } });
    await db.dnsRecord.create({ data: { fqdn: "web.example.com", type: "A", content: "203.0.113.10", provider: "cloudflare", zone: "example.com", providerRecordId: "r1", consumerType: "instance", consumerId: inst.id, status: "synced", verifiedAt: new Date() } });
    await db.customDomain.create({ data: { instanceId: inst.id, domain: "shop.example.org", token: "challenge-token", routed: true, checkedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) } });
    await db.npmCertificateIntent.create({ data: { routeId: "7", domains: "a.example.com,b.example.com", maxIdBefore: 12, liveHost: true } });
    await emitEventQuietly({ event: "deploy.failed", consumer: { type: "instance", id: inst.id, name: "web" }, path: `/instances/${inst.id}`, message: "seeded", foldKey: "seed" });
    // A delivery as the outbox worker makes one (it is not running here).
    const [event, channel] = [await db.notificationEvent.findFirstOrThrow(), await db.notificationChannel.findFirstOrThrow()];
    await db.notificationDelivery.create({ data: { eventId: event.id, channelId: channel.id, status: "failed", attempts: 2, lastError: "HTTP 502" } });
    await runSync({ trigger: "cli", dryRun: true, force: false, actor: SYSTEM_ACTOR });
    // Last: managed DNS with an encrypted API token (a sync or deploy after it would call Cloudflare).
    await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { mode: "managed", provider: { type: "cloudflare", apiToken: "cf-secret-token-123", zoneId: "zone1" } } } });
    await recordEvent({ actor: SYSTEM_ACTOR, action: "test.seed", target: "ünïcode ✓ 'quotes' \"double\"", result: "ok", message: "line1\nline2" });
    // 100,000 usage samples (an autoincrement table; floats, odd values), written in one go as the collector would over weeks.
    const raw = new Database(file());
    const ins = raw.prepare(`INSERT INTO "UsageSample" ("instanceId", "at", "resolution", "cpuPercent", "memoryBytes", "memoryLimitBytes", "netRx", "netTx", "blockRead", "blockWrite") VALUES (?, ?, 15, ?, ?, ?, ?, ?, ?, ?)`);
    const t0 = Date.UTC(2026, 10, 1);
    raw.transaction(() => {
      for (let i = 0; i < SAMPLES; i++) ins.run(inst.id, new Date(t0 + i * 15_000).toISOString().replace("Z", "+00:00"), i % 7 ? i / 3 : null, 2 ** 40 + i, 0.1 + i, i * 1.5, i, 0, 1e300);
    })();
    // A Swarm service's usage coverage (issue 28): a row keyed by its instance, JSON text.
    raw.prepare(`INSERT INTO "UsageCoverage" ("instanceId", "at", "tasksRead", "tasksTotal", "unreadNodes") VALUES (?, ?, 2, 3, ?)`).run(inst.id, new Date(t0).toISOString().replace("Z", "+00:00"), JSON.stringify([{ nodeId: "n3", node: "h3", tasks: 1, reason: "not added" }]));
    raw.close();
    seeded.installationId = installationId();
    const s = appSecrets();
    seeded.secrets = { NEXTAUTH_SECRET: s.authSecret, WHARF_ENCRYPTION_KEY: s.encryptionSecret, CRON_SECRET: s.cronSecret };
  }, 240_000);

  afterAll(async () => {
    for (const s of scratch) await s.drop().catch(() => {});
  }, 60_000);

  async function target() {
    const t = await createScratchDatabase("wharf_m2p");
    scratch.push(t);
    return t;
  }

  it("copies every table, verifies it, and leaves the SQLite file untouched", async () => {
    const { db } = await import("../db");
    const t = await target();
    const before = sha(file());
    const lines: string[] = [];
    const result: MigrateToPostgresResult = await migrateToPostgres({ from: `file:${file()}`, to: t.url, batchRows: 700, log: (l) => lines.push(l) });
    expect(sha(file())).toBe(before);
    expect(result.tables).toHaveLength(MODELS.length);
    expect(result.tables.every((r) => r.ok && r.source === r.target)).toBe(true);
    expect(result.tables.find((r) => r.table === "UsageSample")).toMatchObject({ source: SAMPLES, target: SAMPLES });
    expect(result.installationId).toBe(seeded.installationId);
    const report = formatReport(result).join("\n");
    expect(report).toContain("UsageSample");
    expect(report).not.toContain("MISMATCH");

    const pgClient = new PgPrismaClient({ adapter: new PrismaPg({ connectionString: t.url }) });
    try {
      for (const model of MODELS) {
        const [a, b] = [delegate(db, model), delegate(pgClient, model)];
        if (model === "usageSample") {
          expect(await b.count()).toBe(SAMPLES);
          for (const skip of [0, 50_000, SAMPLES - 500]) {
            const args = { orderBy: { id: "asc" }, skip, take: 500 };
            expect(await b.findMany(args)).toEqual(await a.findMany(args));
          }
          continue;
        }
        const want = await a.findMany({ orderBy: orderOf(model) });
        const got = await b.findMany({ orderBy: orderOf(model) });
        // Setting gains the installation id that lived in the data folder.
        expect(model === "setting" ? got.filter((r) => r.key !== "installation-id") : got, model).toEqual(want);
        if (!["lease", "loginThrottle"].includes(model)) expect(want.length, model).toBeGreaterThan(0);
      }
      // The sequence continues past the copied ids.
      const next = await pgClient.usageSample.create({ data: { instanceId: "x", at: new Date(), memoryBytes: 1, memoryLimitBytes: 1, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 } });
      expect(next.id).toBe(SAMPLES + 1);
      await pgClient.usageSample.delete({ where: { id: next.id } });
    } finally {
      await pgClient.$disconnect();
    }

    // The same code on PostgreSQL, with the secrets the replicas are given (the SQLite install's, from ./data/secrets.json).
    const saved = { ...process.env };
    const sqliteClient = (globalThis as { wharfDb?: unknown }).wharfDb;
    try {
      Object.assign(process.env, { DATABASE_URL: t.url, ...seeded.secrets });
      delete (globalThis as { wharfDb?: unknown }).wharfDb;
      vi.resetModules();
      const { loadInstallationId } = await import("../secrets");
      expect(await loadInstallationId()).toBe(seeded.installationId);
      const { getSettings } = await import("../settings/get-settings");
      expect((await getSettings()).dns.provider).toMatchObject({ type: "cloudflare", apiToken: "cf-secret-token-123" });
      const { actorFromToken } = await import("../auth/tokens");
      expect(await actorFromToken(seeded.token)).toMatchObject({ kind: "token", role: "admin", ownerId: seeded.userId });
      const { verifyLogin } = await import("../auth/verify-login");
      expect(await verifyLogin({ email: "ops@example.com", password: "long-enough-pw", address: null })).toMatchObject({ id: seeded.userId });
      const { decode } = await import("next-auth/jwt");
      const { appSecrets } = await import("../secrets");
      const claims = await decode({ token: seeded.sessionJwt, secret: appSecrets().authSecret });
      const { getUser } = await import("../auth/users");
      expect(await getUser(String(claims?.uid))).toMatchObject({ id: seeded.userId, sessionVersion: claims?.sv });
      const { db: pgDb } = await import("../db");
      const { decryptSecret } = await import("../settings/crypto");
      const channel = await pgDb.notificationChannel.findFirstOrThrow();
      expect(channel.config).toContain("enc:v1:");
      expect(channel.config.match(/enc:v1:[A-Za-z0-9_:-]+/g)!.map(decryptSecret)).toContain("webhook-secret-456");
      await pgDb.$disconnect();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      (globalThis as { wharfDb?: unknown }).wharfDb = sqliteClient;
      vi.resetModules();
    }
  });

  it("runs as `npm run wharf -- db migrate-to-postgres` and prints the per-table report without the password", async () => {
    const t = await target();
    const r = spawnSync(process.execPath, ["--import", "tsx", "cli/wharf.ts", "db", "migrate-to-postgres", "--to", t.url], {
      env: { ...process.env, WHARF_DATA_DIR: env().dataDir, DATABASE_URL: "", LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("wharf:***@127.0.0.1");
    expect(r.stdout).not.toContain("wharf:wharf@");
    expect(r.stdout).toMatch(/UsageSample\s+100000\s+100000\s+ok md5/);
    expect(r.stdout).toContain(`${MODELS.length} tables`);
    const again = spawnSync(process.execPath, ["--import", "tsx", "cli/wharf.ts", "db", "migrate-to-postgres", "--to", t.url], {
      env: { ...process.env, WHARF_DATA_DIR: env().dataDir, DATABASE_URL: "", LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already holds Wharf data");
  });

  it("refuses a target that already holds Wharf data, naming the tables", async () => {
    const t = await target();
    await migrateToPostgres({ from: `file:${file()}`, to: t.url });
    const before = sha(file());
    await expect(migrateToPostgres({ from: `file:${file()}`, to: t.url })).rejects.toThrow(/already holds Wharf data \(rows in .*User/);
    expect(sha(file())).toBe(before);
  });

  it("names an unreachable target without its password", async () => {
    const url = "postgresql://wharf:s3cret-pw@127.0.0.1:1/nowhere";
    const err = await migrateToPostgres({ from: `file:${file()}`, to: url }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("cannot connect to PostgreSQL at postgresql://wharf:***@127.0.0.1:1/nowhere");
    expect((err as Error).message).not.toContain("s3cret-pw");
    expect(redactUrl(url)).not.toContain("s3cret-pw");
  });

  it("refuses a source whose migrations differ from the code's", async () => {
    const t = await target();
    const copy = path.join(env().dataDir, "older.db");
    const raw = new Database(file(), { readonly: true });
    await raw.backup(copy);
    raw.close();
    const older = new Database(copy);
    older.prepare(`DELETE FROM "_prisma_migrations" WHERE migration_name = (SELECT MAX(migration_name) FROM "_prisma_migrations")`).run();
    older.close();
    await expect(migrateToPostgres({ from: `file:${copy}`, to: t.url })).rejects.toThrow(/migrations differ .*not applied there: 2026/);
  });
});
