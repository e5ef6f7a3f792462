import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { env } from "../env";
import { isWharfRouteId } from "../naming";
import type { Json } from "./caddy-route";
import type { RouteTls } from "./types";

// Under the data dir. Not "tls": Next's output tracer reads path.join(<unknown>, "tls")
// as every folder named tls and copied lib/tls, app/api/tls and components/tls
// sources into the standalone image.
export const CADDY_TLS_DIR = "caddy-tls";

// Pure parts of Wharf's TLS handling in Caddy: the automation policy Wharf
// keeps for its own hosts, the issuer taken from the settings, and whether a
// server can serve HTTPS at all. caddy-tls-policy.ts is the shell.

export interface CaddyPolicy extends Json {
  "@id"?: string;
  subjects?: string[];
  issuers?: Json[];
}

/**
 * Caddy 2.6's ACME issuer trusts extra roots only from files
 * (`trusted_roots_pem_files`), so a private CA's root from the settings is
 * written under Wharf's data directory, named by its hash. This works when
 * Caddy sees the same filesystem (same host, or the data directory mounted
 * at the same path), which README states.
 */
export function trustedRootFile(pem: string): string {
  const dir = path.join(env().dataDir, CADDY_TLS_DIR);
  const file = path.join(dir, `acme-root-${createHash("sha256").update(pem).digest("hex").slice(0, 16)}.pem`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${pem.trim()}\n`, { mode: 0o644 });
  }
  return file;
}

/** The issuer from the settings; always explicit, so Caddy never falls back to its default public CAs. */
export function caddyIssuer(issuer: RouteTls["issuer"], rootFile: (pem: string) => string = trustedRootFile): Json {
  if (issuer.mode === "internal") return { module: "internal" };
  const out: Json = { module: "acme", ca: issuer.acme.directoryUrl };
  if (issuer.acme.email) out.email = issuer.acme.email;
  if (issuer.acme.trustedRootPem) out.trusted_roots_pem_files = [rootFile(issuer.acme.trustedRootPem)];
  return out;
}

export function buildPolicy(id: string, hosts: string[], issuer: Json): CaddyPolicy {
  return { "@id": id, subjects: [...hosts], issuers: [issuer] };
}

/**
 * Caddy applies the first policy whose subjects match a name, and a policy
 * without subjects matches every name. Wharf's policies name exact hosts, so
 * putting them before the operator's first catch-all changes nothing for any
 * other name, and Wharf never edits a policy it did not make.
 */
export function policyInsertionIndex(policies: CaddyPolicy[]): number {
  const i = policies.findIndex((p) => !isWharfRouteId(p["@id"]) && (!Array.isArray(p.subjects) || p.subjects.length === 0));
  return i === -1 ? policies.length : i;
}

function portOf(listen: string): number | null {
  const i = listen.lastIndexOf(":");
  const port = Number.parseInt(listen.slice(i + 1), 10);
  return i === -1 || Number.isNaN(port) ? null : port;
}

/** Why the server cannot serve HTTPS, or null. Caddy serves TLS on every listener of a server except its http_port. */
export function serverTlsProblem(serverName: string, server: Json, httpPort: number): string | null {
  const auto = (server.automatic_https ?? {}) as Json;
  const where = `Caddy server '${serverName}'`;
  if (auto.disable === true) return `${where} has automatic HTTPS disabled (automatic_https.disable), so it obtains no certificates; enable it to serve HTTPS`;
  const listen = Array.isArray(server.listen) ? (server.listen as string[]) : [];
  if (listen.length > 0 && listen.every((l) => portOf(l) === httpPort)) {
    return `${where} listens only on the HTTP port ${httpPort}; add an HTTPS listener to serve HTTPS`;
  }
  return null;
}

/**
 * Where Wharf shakes hands with Caddy to see a host's certificate: the
 * server's HTTPS listener, on its own address when it names one, otherwise
 * on the admin API's host (Caddy and its admin endpoint on one machine;
 * loopback for an admin socket).
 */
export function httpsEndpoint(server: Json, httpPort: number, httpsPort: number, adminUrl: string): { address: string; port: number } {
  const listen = Array.isArray(server.listen) ? (server.listen as string[]) : [];
  // An admin API on a unix socket (Wharf's own Caddy) is on this machine, its ports published here.
  const admin = new URL(adminUrl).hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const tlsListen = listen.find((l) => portOf(l) === httpsPort) ?? listen.find((l) => portOf(l) !== httpPort);
  if (!tlsListen) return { address: admin, port: httpsPort };
  const addr = tlsListen.replace(/^[a-z]+\//, "");
  const host = addr.slice(0, Math.max(0, addr.lastIndexOf(":"))).replace(/^\[|\]$/g, "");
  const bound = host && host !== "0.0.0.0" && host !== "::" ? host : admin;
  return { address: bound, port: portOf(tlsListen) ?? httpsPort };
}
