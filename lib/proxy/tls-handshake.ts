import tls from "node:tls";
import type { CertificateCheck } from "./types";

export interface PeerCertificate {
  issuer: string;
  subject: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
}

function dn(o: Record<string, string | string[] | undefined> | undefined): string {
  if (!o) return "";
  const pick = (k: string) => (Array.isArray(o[k]) ? (o[k] as string[]).join(" ") : o[k]);
  return [pick("CN"), pick("O")].filter(Boolean).join(", ");
}

/**
 * One TLS handshake with `servername` as SNI, returning the leaf the server
 * presents. Trust is not decided here (the caller checks issuer, names and
 * expiry against what it expects): the point is to see what a client gets.
 */
export function fetchPeerCertificate(opts: { address: string; port: number; servername: string; timeoutMs?: number }): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: opts.address, port: opts.port, servername: opts.servername, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    const timer = setTimeout(() => socket.destroy(new Error(`TLS handshake with ${opts.address}:${opts.port} (SNI ${opts.servername}) timed out`)), opts.timeoutMs ?? 5000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const c = socket.getPeerCertificate();
      socket.end();
      if (!c || !c.valid_to) return reject(new Error(`${opts.address}:${opts.port} presented no certificate for ${opts.servername}`));
      const names = (c.subjectaltname ?? "")
        .split(/,\s*/)
        .filter((n) => n.startsWith("DNS:"))
        .map((n) => n.slice(4).toLowerCase());
      resolve({ issuer: dn(c.issuer as never), subject: dn(c.subject as never), names, notBefore: new Date(c.valid_from), notAfter: new Date(c.valid_to) });
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function nameCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  return pattern.startsWith("*.") && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes(".");
}

const CADDY_LOCAL_CA = /Caddy Local Authority/i;

/**
 * What a handshake says about a host's certificate (SPEC §7): it must name
 * the host, be valid now, and come from the CA the settings choose (Caddy's
 * local authority for `internal`, anything else for `acme`). A failed
 * handshake is `pending`: Caddy answers "internal error" while it has no
 * certificate yet; the caller decides when pending has lasted too long.
 */
export async function checkServedCertificate(opts: {
  address: string;
  port: number;
  host: string;
  mode: "acme" | "internal";
  now?: Date;
}): Promise<CertificateCheck> {
  let cert: PeerCertificate;
  try {
    cert = await fetchPeerCertificate({ address: opts.address, port: opts.port, servername: opts.host });
  } catch (err) {
    return { status: "pending", error: `no certificate served for ${opts.host} yet (TLS handshake with ${opts.address}:${opts.port}: ${(err as Error).message})` };
  }
  const now = opts.now ?? new Date();
  if (!cert.names.some((n) => nameCovers(n, opts.host))) {
    return { status: "failed", error: `the certificate served for ${opts.host} names ${cert.names.join(", ") || "no DNS names"} (issuer ${cert.issuer})` };
  }
  if (cert.notAfter <= now) return { status: "failed", error: `the certificate served for ${opts.host} expired on ${cert.notAfter.toISOString()} (issuer ${cert.issuer})` };
  const local = CADDY_LOCAL_CA.test(cert.issuer);
  if (opts.mode === "internal" && !local) return { status: "pending", error: `${opts.host} is still served a certificate from ${cert.issuer}, not Caddy's local CA` };
  if (opts.mode === "acme" && local) return { status: "pending", error: `${opts.host} is still served a certificate from Caddy's local CA, not the ACME CA` };
  return { status: "issued", issuer: cert.issuer, notAfter: cert.notAfter, names: cert.names };
}
