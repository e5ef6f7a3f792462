import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { env } from "../env";
import type { CaddyAdmin } from "./caddy-admin";
import { sameJson, type Json } from "./caddy-route";
import { CADDY_TLS_DIR } from "./caddy-tls";

// Caddy 2.6 keeps no record of a failed order that its admin API could show
// (no certificate endpoint; its events app has no built-in handler), and an
// ACME refusal only reaches its log. So Wharf adds one named logger of its
// own, `wharf_tls`, limited to the `tls.obtain` errors, writing JSON lines
// into Wharf's data directory, and reads the CA's answer for a host from
// there. This needs Caddy on the same filesystem, so it is only attempted
// when the admin API is on loopback; if Caddy refuses the logger (it cannot
// write there), Caddy keeps its previous config and Wharf goes without the
// CA's wording.

export const LOG_NAME = "wharf_tls";

export function tlsLogFile(adminUrl: string): string {
  return path.join(env().dataDir, CADDY_TLS_DIR, `caddy-${createHash("sha256").update(adminUrl).digest("hex").slice(0, 12)}-obtain.log`);
}

export function isLoopbackUrl(url: string): boolean {
  const h = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}

export function loggerConfig(file: string): Json {
  return { writer: { output: "file", filename: file, roll_size_mb: 5, roll_keep: 2 }, encoder: { format: "json" }, level: "ERROR", include: ["tls.obtain"] };
}

/**
 * Makes sure Caddy writes Wharf's logger and returns the file to read. One
 * logger per Caddy, shared: a second Wharf installation on the same Caddy
 * reads the file the first one set up (lines name their host) instead of
 * taking the logger over; a logger whose file this machine cannot see is
 * replaced. Guarded by If-Match; other loggers are untouched.
 */
export async function ensureTlsLogger(admin: CaddyAdmin, file: string): Promise<string> {
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 10; attempt++) {
    const { value, etag } = await admin.get("/config/logging");
    const logging = value && typeof value === "object" ? (value as Json) : null;
    const logs = (logging?.logs ?? null) as Json | null;
    const existing = ((logs?.[LOG_NAME] as Json | undefined)?.writer as Json | undefined)?.filename;
    // The directory, not the file: Caddy opens the file lazily, at its first line.
    if (typeof existing === "string" && existsSync(path.dirname(existing)) && sameJson(logs![LOG_NAME], loggerConfig(existing))) return existing;
    const desired = loggerConfig(file);
    const outcome = !logging
      ? await admin.write("PUT", "/config/logging", { logs: { [LOG_NAME]: desired } }, etag)
      : !logs
        ? await admin.write("PUT", "/config/logging/logs", { [LOG_NAME]: desired }, etag)
        : await admin.write("POST", `/config/logging/logs/${LOG_NAME}`, desired, etag);
    if (outcome === "done") return file;
  }
  throw new Error("Caddy's logging config kept changing while Wharf added its TLS logger");
}

/** Last part of a file (the logger rolls at 5 MB; the newest lines are what matter). */
function tail(file: string, bytes = 512 * 1024): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * The CA's most recent refusal for `host` logged at or after `since`
 * ("could not get certificate from issuer": the issuer's own error, e.g.
 * `HTTP 400 urn:ietf:params:acme:error:dns - …`), or null.
 */
export function lastObtainError(file: string, host: string, since: Date): string | null {
  const lines = tail(file).split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (!line.includes(host)) continue;
    let entry: { ts?: number; msg?: string; identifier?: string; error?: string; issuer?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.ts !== "number" || entry.ts * 1000 < since.getTime()) return null;
    // "context canceled": the order a config reload (Wharf's retry) abandoned, not the CA's answer.
    if (entry.identifier === host && entry.msg === "could not get certificate from issuer" && entry.error && !entry.error.includes("context canceled")) {
      return `${entry.issuer ? `${entry.issuer}: ` : ""}${entry.error}`;
    }
  }
  return null;
}
