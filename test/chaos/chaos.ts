// The chaos run (issue 11): two Wharf processes (test/chaos/worker.ts) on one
// database, a real dockerd, Caddy and PowerDNS in managed mode, a seeded
// random schedule of lifecycle operations, proxy changes, syncs from both
// processes and SIGKILLs of the second process mid-operation; then a final
// quiet sync and every invariant (test/chaos/invariants.ts). The schedule
// (which operation, on what, through which process, when) is a function of
// the seed, so a failing seed replays the same schedule; the exact
// interleaving with the engine's timing does not replay bit for bit.
// The caller sets WHARF_DATA_DIR before importing anything from lib/.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { db } from "../../lib/db";
import { SYSTEM_ACTOR } from "../../lib/audit/record-event";
import { updateSettings } from "../../lib/configuration/update-settings";
import { appSecrets } from "../../lib/secrets";
import { getRuntime } from "../../lib/docker";
import { CaddyProvider } from "../../lib/proxy/caddy";
import { TEST_NETWORK, CADDY } from "../helpers/http";
import { checkInvariants, type Violations } from "./invariants";
import { pdns } from "./pdns";
import { managedPowerDnsWithCaddy } from "../helpers/dns-fixtures";

export interface ChaosOptions {
  seed: number;
  ops: number;
  kill: boolean;
  instances?: number;
  proxies?: number;
  /** Wharf processes on the one database: 2 (default) or 3. */
  workers?: 2 | 3;
  /** With three processes: SIGSTOP the third past its consumer lease, then SIGCONT it (issue 26). */
  pause?: boolean;
  /** One loopback port per process (issue 11 owns 3211–3219). */
  ports?: number[];
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  kill: boolean;
  ops: number;
  outcomes: Record<string, number>;
  kills: number;
  pauses: number;
  violations: Violations;
  durationMs: number;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

export const IMAGES = ["wharf-test/web:v1", "wharf-test/web:v2", "wharf-test/slow:v1"] as const;
const TARGET = "203.0.113.11";

const WORKER_ENV = {
  WHARF_SCHEDULER: "off",
  LOG_LEVEL: "warn",
  WHARF_CONSUMER_LEASE_MS: "3000",
  WHARF_HEARTBEAT_MS: "500",
  WHARF_SYNC_LEASE_MS: "10000",
  WHARF_DRAIN_MS: "200",
  WHARF_STOP_TIMEOUT_S: "2",
  WHARF_HEALTH_TIMEOUT_MS: "20000",
};

class Worker {
  child: ChildProcess | null = null;
  private ready = false;
  constructor(readonly port: number, private readonly logFile: string) {}

  /** Started and answering (not merely spawned). */
  get alive() {
    return this.child !== null && this.ready;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, "worker.ts"), String(this.port)], {
      env: { ...process.env, ...WORKER_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    // A runner that dies must not leave its processes running.
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.removeListener("exit", reap));
    child.stderr!.on("data", (d: Buffer) => appendFileSync(this.logFile, d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${this.port} did not start`)), 60_000);
      child.stdout!.on("data", (d: Buffer) => {
        appendFileSync(this.logFile, d);
        if (d.toString().includes(`READY ${this.port}`)) {
          clearTimeout(timer);
          this.ready = true;
          resolve();
        }
      });
      child.on("exit", (code) => {
        if (this.child === child) this.child = null;
        clearTimeout(timer);
        reject(new Error(`worker ${this.port} exited (${code})`));
      });
    });
  }

  /**
   * Freezes the process (SIGSTOP) for `ms`, as a long GC pause or a lost network would: its
   * leases expire meanwhile and another process may take its work over. Then SIGCONT.
   */
  async pause(ms: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, ms));
    child.kill("SIGCONT");
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    this.ready = false;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** One operation; "killed" when the process died before answering. */
  call(op: string, args: Record<string, unknown> = {}): Promise<{ ok: boolean; error?: string; result?: unknown; killed?: boolean }> {
    return new Promise((resolve) => {
      const req = http.request({ host: "127.0.0.1", port: this.port, method: "POST", path: "/", headers: { "content-type": "application/json" }, agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(JSON.parse(body)));
        res.on("error", () => resolve({ ok: false, killed: true }));
      });
      req.on("error", () => resolve({ ok: false, killed: true }));
      req.end(JSON.stringify({ op, args }));
    });
  }
}

/** Outcome classes for the summary: the error text up to its first detail. */
function outcomeOf(op: string, r: { ok: boolean; error?: string; killed?: boolean }): string {
  if (r.killed) return `${op}: killed`;
  if (r.ok) return `${op}: ok`;
  const e = r.error ?? "";
  if (/is busy: /.test(e)) return `${op}: busy`;
  if (/cannot accept event|changed while/.test(e)) return `${op}: refused (state)`;
  if (/sync is already running/.test(e)) return `${op}: sync in progress`;
  if (/not found|no rollback target|no container to start|no longer exists|already/.test(e)) return `${op}: refused (${e.replace(/[0-9a-f]{12,}/g, "…").slice(0, 50)})`;
  return `${op}: error (${e.slice(0, 80)})`;
}

const CHAOS_DOMAIN = "wharf-chaos.test";
const CHAOS_CONTAINER = /^wharf-c\d+[0-9a-f]{4}-i\d+-[a-z0-9]{8}$/;

/**
 * Removes what an earlier, killed run left behind (its own `finally` never
 * ran): zones under wharf-chaos.test, Caddy routes for those names, and
 * containers named like this run's instances. Only chaos resources match.
 */
export async function sweepLeftovers(): Promise<void> {
  const zones = (await (await pdns("GET", "/zones")).json()) as { name: string }[];
  for (const z of zones.filter((x) => x.name.endsWith(`.${CHAOS_DOMAIN}.`))) await pdns("DELETE", `/zones/${z.name}`);
  const caddy = new CaddyProvider({ type: "caddy", adminUrl: CADDY.admin, server: CADDY.server });
  for (const r of await caddy.listRoutes()) if (r.hosts.every((h) => h.endsWith(`.${CHAOS_DOMAIN}`))) await caddy.removeRoute(r.id);
  const rt = getRuntime();
  for (const c of await rt.listManagedContainers()) if (CHAOS_CONTAINER.test(c.name)) await rt.removeContainer(c.id);
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const rnd = prng(opts.seed);
  const tag = `c${opts.seed}${randomBytes(2).toString("hex")}`;
  const zone = `${tag}.${CHAOS_DOMAIN}`;
  const nInstances = opts.instances ?? 3;
  const nProxies = opts.proxies ?? 2;
  const dataDir = process.env.WHARF_DATA_DIR!;
  appSecrets(); // written before the workers start, so all three processes share the same keys
  await managedPowerDnsWithCaddy(zone, TARGET);
  const ports = opts.ports ?? [3211, 3212, 3215].slice(0, opts.workers ?? 2);
  const workers = ports.map((p) => new Worker(p, path.join(dataDir, `worker-${p}.log`)));
  await Promise.all(workers.map((w) => w.start()));
  const paused = workers.at(-1)!;
  let pausing = false;

  const outcomes: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  let kills = 0;
  let pauses = 0;
  const instanceNames = Array.from({ length: nInstances }, (_, i) => `${tag}-i${i}`);
  const proxyGen = Array.from({ length: nProxies }, () => 0);
  const proxyIds: (string | null)[] = Array.from({ length: nProxies }, () => null);
  const send = (w: Worker, op: string, args: Record<string, unknown>, then?: (r: { ok: boolean; result?: unknown }) => void) => {
    pending.push(
      w.call(op, args).then((r) => {
        const k = outcomeOf(op, r);
        outcomes[k] = (outcomes[k] ?? 0) + 1;
        then?.(r);
      }),
    );
  };

  try {
    for (let n = 0; n < opts.ops; n++) {
      const alive = workers.filter((w) => w.alive);
      const w = rnd.pick(alive.length ? alive : workers);
      const roll = rnd.next();
      if (opts.kill && roll < 0.08 && workers[1].alive) {
        // SIGKILL the second process, mid-whatever it is doing, and bring it back a little later.
        kills++;
        const downMs = 300 + rnd.int(1500);
        log(`#${n} kill ${workers[1].port} (down ${downMs} ms)`);
        await workers[1].kill();
        outcomes["kill"] = (outcomes["kill"] ?? 0) + 1;
        pending.push(new Promise<void>((r) => setTimeout(r, downMs)).then(() => workers[1].start()).catch((err: unknown) => log(`restart failed: ${String(err)}`)));
      } else if (opts.pause && roll < 0.11 && !pausing && paused.alive && paused !== workers[1]) {
        // Freeze the last process past the consumer lease (3 s) while its calls are in flight, then let it go on.
        pauses++;
        pausing = true;
        const pauseMs = 3500 + rnd.int(2500);
        log(`#${n} SIGSTOP ${paused.port} for ${pauseMs} ms`);
        outcomes["pause"] = (outcomes["pause"] ?? 0) + 1;
        pending.push(paused.pause(pauseMs).finally(() => (pausing = false)));
      } else if (roll < 0.63) {
        const name = rnd.pick(instanceNames);
        const row = await db.instance.findUnique({ where: { name } });
        const op = row ? rnd.pick(["redeploy", "redeploy", "redeploy", "rollback", "rollback", "stop", "stop", "start", "start", "start", "remove", "remove", "cancel"] as const) : "create";
        const image = rnd.pick(IMAGES);
        log(`#${n} ${op} ${name} via ${w.port}${op === "create" || op === "redeploy" ? ` ${image}` : ""}`);
        if (op === "create") send(w, "create", { body: { name, image, port: 8080 } });
        else send(w, op, { id: row!.id, body: { image } });
      } else if (roll < 0.75) {
        const k = rnd.int(nProxies);
        const id = proxyIds[k];
        const domain = () => `p${k}-${++proxyGen[k]}.${zone}`;
        const op = !id ? "proxy.create" : rnd.pick(["proxy.update", "proxy.update", "proxy.delete"] as const);
        log(`#${n} ${op} p${k} via ${w.port}`);
        if (op === "proxy.create") {
          proxyIds[k] = "pending";
          send(w, op, { body: { domain: domain(), upstream: `http://127.0.0.1:${9100 + k}` } }, (r) => (proxyIds[k] = r.ok ? (r.result as { id: string }).id : null));
        } else if (id !== "pending") {
          if (op === "proxy.delete") {
            proxyIds[k] = "pending";
            send(w, op, { id }, (r) => (proxyIds[k] = r.ok ? null : id));
          } else send(w, op, { id, body: { domain: domain() } });
        }
      } else {
        const trigger = rnd.pick(["manual", "cron", "scheduler"] as const);
        log(`#${n} sync (${trigger}) via ${w.port}`);
        send(w, "sync", { trigger });
      }
      await new Promise((r) => setTimeout(r, 100 + rnd.int(400)));
    }
    await Promise.all(pending);
    for (const w of workers) if (!w.child) await w.start();

    // Settle: dead jobs' leases expire (3 s), recovery and syncs from both processes finish them.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const busy = await db.instance.count({ where: { name: { startsWith: tag }, status: { in: ["deploying", "redeploying", "rolling_back", "stopping", "starting", "removing"] } } });
      const running = await db.deployment.count({ where: { status: "running", instance: { name: { startsWith: tag } } } });
      if (!busy && !running) break;
      if (Date.now() > deadline) break; // the invariants report what is left
      await workers[0].call("sync", { trigger: "manual" });
      await new Promise((r) => setTimeout(r, 1000));
    }
    // The final quiet sync.
    for (let i = 0; i < 10; i++) {
      const r = await workers[0].call("sync", { trigger: "manual" });
      if (r.ok) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const violations = await checkInvariants({ tag, zone, target: TARGET, opsOutcomes: outcomes });
    return { seed: opts.seed, kill: opts.kill, ops: opts.ops, outcomes, kills, pauses, violations, durationMs: Date.now() - t0 };
  } finally {
    // Clean up what this run made (through a live process, under the leases), then stop the processes.
    const w = workers[0].alive ? workers[0] : workers[1];
    if (w.alive) {
      for (const i of await db.instance.findMany({ where: { name: { startsWith: tag } } })) await w.call("remove", { id: i.id });
      for (const p of await db.standaloneProxy.findMany({ where: { domain: { endsWith: `.${zone}` } } })) await w.call("proxy.delete", { id: p.id });
    }
    await Promise.all(workers.map((x) => x.kill()));
    await pdns("DELETE", `/zones/${zone}.`);
  }
}

/** Seed, op count and violations per invariant, as one block of text. */
export function formatResult(r: ChaosResult): string {
  const total = Object.values(r.violations).reduce((n, v) => n + v.length, 0);
  const lines = [
    `seed ${r.seed} · ${r.ops} operations · SIGKILL ${r.kill ? `on (${r.kills} kills)` : "off"}${r.pauses ? ` · SIGSTOP ${r.pauses}×` : ""} · ${Math.round(r.durationMs / 1000)} s · ${total} violations`,
    ...Object.entries(r.violations).map(([k, v]) => `  ${k}: ${v.length}${v.length ? `\n${v.slice(0, 10).map((x) => `    - ${x}`).join("\n")}` : ""}`),
    `  outcomes: ${Object.entries(r.outcomes).sort().map(([k, v]) => `${k} ×${v}`).join(", ")}`,
  ];
  return lines.join("\n");
}
