import { readFileSync } from "node:fs";
import path from "node:path";
import { db } from "../db";
import { getRuntime } from "../docker";
import { getSettings } from "../settings/get-settings";
import { createProxyProvider } from "../proxy";
import { createDnsProvider } from "../dns";
import { errorMessage } from "../errors";
import { listCertificateWarnings } from "../tls/certificate-warnings";

export type ComponentStatus = "ok" | "error" | "unreachable" | "not_configured" | "wildcard";

export interface Health {
  status: "ok" | "degraded" | "down";
  db: ComponentStatus;
  docker: ComponentStatus;
  proxy: ComponentStatus;
  dns: ComponentStatus;
  /** Certificates (SPEC §7): `degraded` while one failed or expires within 14 days; `off` with TLS off. */
  tls: "ok" | "degraded" | "off";
  /** Remote Docker servers (SPEC §16) as the server monitor last saw them: `degraded` while one does not answer. */
  servers: { status: "ok" | "degraded" | "none"; total: number; down: string[] };
  version: string;
  messages: { docker?: string; proxy?: string; dns?: string; db?: string; tls?: string; servers?: string };
}

let version: string | undefined;
function appVersion(): string {
  try {
    version ??= (JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    version = "unknown";
  }
  return version;
}

// Provider checks are cached briefly: the UI polls health, and a Cloudflare
// check spends requests from the same 1200-per-5-minutes budget as real work.
const CHECK_TTL_MS = 30_000;
const checks = new Map<string, { at: number; result: Promise<{ ok: boolean; message: string }> }>();
function cachedCheck(key: string, run: () => Promise<{ ok: boolean; message: string }>): Promise<{ ok: boolean; message: string }> {
  const hit = checks.get(key);
  if (hit && Date.now() - hit.at < CHECK_TTL_MS) return hit.result;
  const result = run().catch((err) => ({ ok: false, message: errorMessage(err) }));
  checks.set(key, { at: Date.now(), result });
  return result;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);
}

/** SPEC §2: 200 while the database answers; Docker or a provider being down only degrades. */
export async function getHealth(): Promise<Health> {
  const messages: Health["messages"] = {};
  try {
    await db.$queryRawUnsafe("SELECT 1");
  } catch (err) {
    messages.db = errorMessage(err);
    return { status: "down", db: "error", docker: "unreachable", proxy: "not_configured", dns: "not_configured", tls: "off", servers: { status: "none", total: 0, down: [] }, version: appVersion(), messages };
  }
  const settings = await getSettings();
  const [docker, proxy, dns] = await Promise.all([
    withTimeout(getRuntime().ping(), 3000, "Docker").then(
      (r): ComponentStatus => (r.ok ? "ok" : ((messages.docker = r.message), "unreachable")),
      (err): ComponentStatus => ((messages.docker = errorMessage(err)), "unreachable"),
    ),
    (async (): Promise<ComponentStatus> => {
      if (!settings.proxy.provider) return "not_configured";
      const config = settings.proxy.provider;
      const r = await cachedCheck(`proxy:${JSON.stringify(config)}`, () => withTimeout(createProxyProvider(config).testConnection(), 4000, "Proxy provider"));
      if (!r.ok) messages.proxy = r.message;
      return r.ok ? "ok" : "error";
    })(),
    (async (): Promise<ComponentStatus> => {
      if (settings.dns.mode === "wildcard") return "wildcard";
      if (!settings.dns.provider) return "not_configured";
      const config = settings.dns.provider;
      const r = await cachedCheck(`dns:${JSON.stringify(config)}`, () => withTimeout(createDnsProvider(config).testConnection(), 4000, "DNS provider"));
      if (!r.ok) messages.dns = r.message;
      return r.ok ? "ok" : "error";
    })(),
  ]);
  const servers = await serverHealth(messages);
  const degraded = docker !== "ok" || proxy === "error" || dns === "error" || servers.status === "degraded";
  let tls: Health["tls"] = "off";
  if (settings.tls.mode !== "off") {
    const warnings = await listCertificateWarnings({ take: 1 });
    tls = warnings.total > 0 ? "degraded" : "ok";
    if (warnings.total > 0) messages.tls = `${warnings.total} certificate(s) failed or expire within 14 days, e.g. ${warnings.items[0].fqdn}: ${warnings.items[0].error ?? `expires ${warnings.items[0].notAfter?.toISOString()}`}`;
  }
  // A certificate problem leaves every consumer serving (over HTTP): it marks `tls`, not the whole status.
  return { status: degraded ? "degraded" : "ok", db: "ok", docker, proxy, dns, tls, servers, version: appVersion(), messages };
}

/** From the rows the server monitor keeps (no engine is asked here: health is polled). */
async function serverHealth(messages: Health["messages"]): Promise<Health["servers"]> {
  const rows = await db.server.findMany({ select: { name: true, status: true, lastError: true } });
  const down = rows.filter((r) => r.status === "down");
  if (down.length) messages.servers = down.map((r) => `${r.name}: ${r.lastError ?? "no answer"}`).join("; ");
  return { status: rows.length === 0 ? "none" : down.length ? "degraded" : "ok", total: rows.length, down: down.map((r) => r.name) };
}
