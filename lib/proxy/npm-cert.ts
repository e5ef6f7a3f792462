import { operationLogger } from "../logger";
import type { NpmClient, NpmResponse } from "./npm-client";
import type { NpmProxyHost } from "./npm-host";
import type { CertificateCheck } from "./types";

// Certificates through NPM's /api/nginx/certificates (NPM 2.15 schema). NPM
// runs certbot inside the POST, so a request is answered issued (201) or
// failed (500, certbot's output in debug.stack): there is no pending state.

const CERTS = "/api/nginx/certificates";
/** On a Wharf host's meta: the certificate Wharf requested (so Wharf's to delete), and the last request's error. */
export const META_CERT_ID = "wharf_certificate_id";
export const META_CERT_ERROR = "wharf_certificate_error";
export const NO_INTERNAL_CA = "Nginx Proxy Manager has no internal CA; choose acme";

export interface NpmCertificate {
  id: number;
  provider: string;
  domain_names: string[];
  expires_on?: string | null;
  meta?: { letsencrypt_certificate?: { issuer?: string } } & Record<string, unknown>;
}

/** What to attach to a host: a certificate (created by Wharf or adopted), or the error of the failed request. */
export type CertChoice = { id: number; created: boolean } | { id: 0; error: string };

/** NPM stores expires_on as "YYYY-MM-DD HH:MM:SS" in UTC. */
export function certExpiry(c: NpmCertificate): Date | null {
  if (!c.expires_on) return null;
  const d = new Date(`${c.expires_on.replace(" ", "T")}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function sameNames(c: NpmCertificate, hosts: string[]): boolean {
  const have = (c.domain_names ?? []).map((d) => d.toLowerCase()).sort();
  const want = [...hosts].sort();
  return have.length === want.length && have.every((d, i) => d === want[i]);
}

function usable(c: NpmCertificate, hosts: string[]): boolean {
  const exp = certExpiry(c);
  return sameNames(c, hosts) && exp !== null && exp.getTime() > Date.now();
}

/** NPM's own error text for a failed request: certbot's output (debug.stack), else the message. */
export function certbotError(res: NpmResponse): string {
  const stack = (res.body as { debug?: { stack?: unknown } } | null)?.debug?.stack;
  const text = Array.isArray(stack) ? stack.filter((l) => typeof l === "string").join("\n") : typeof stack === "string" ? stack : "";
  return `Nginx Proxy Manager could not obtain a certificate (${res.status}): ${text || res.message || "no message"}`;
}

export class NpmCertificates {
  constructor(private readonly client: NpmClient) {}

  async list(): Promise<NpmCertificate[]> {
    const res = await this.client.call("GET", CERTS);
    if (res.status !== 200 || !Array.isArray(res.body)) throw this.client.fail("GET", CERTS, res);
    return res.body as NpmCertificate[];
  }

  async get(id: number): Promise<NpmCertificate | null> {
    const res = await this.client.call("GET", `${CERTS}/${id}`);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.client.fail("GET", `${CERTS}/${id}`, res);
    return res.body as NpmCertificate;
  }

  /**
   * The certificate for exactly these names: the one Wharf created for the
   * host before, else an existing one that has not expired (adopted, never
   * Wharf's to delete), else a new Let's Encrypt request (unless
   * `request: false` and the host records a failed one).
   */
  async choose(routeId: string, hosts: string[], existing?: NpmProxyHost, opts: { request?: boolean } = {}): Promise<CertChoice> {
    const op = operationLogger({ op: "proxy.certificate", consumer: routeId, provider: "npm" });
    const all = await this.list();
    const ownId = Number(existing?.meta?.[META_CERT_ID] ?? 0);
    const own = all.find((c) => c.id === ownId && usable(c, hosts));
    if (own) return { id: own.id, created: true };
    const adopt = all.filter((c) => usable(c, hosts)).sort((a, b) => certExpiry(b)!.getTime() - certExpiry(a)!.getTime())[0];
    if (adopt) {
      op.step("adopt", { certificateId: adopt.id });
      return { id: adopt.id, created: false };
    }
    const lastError = existing?.meta?.[META_CERT_ERROR];
    // A failed request is repeated by retryCertificate (the reconciler's backoff), not by every route write.
    if (opts.request === false && typeof lastError === "string" && lastError) return { id: 0, error: lastError };
    // 2.15's schema allows no letsencrypt_email/agree in meta (older NPMs
    // required them): the minimal body is valid on both.
    const res = await this.client.call("POST", CERTS, { provider: "letsencrypt", domain_names: hosts, meta: {} });
    if (res.status === 201 || res.status === 200) {
      const id = Number((res.body as NpmCertificate).id);
      op.step("created", { certificateId: id });
      return { id, created: true };
    }
    if (res.status >= 500) {
      // The answer may be lost after NPM stored an issued certificate: look before calling it failed.
      const stored = (await this.list()).find((c) => usable(c, hosts));
      if (stored) return { id: stored.id, created: true };
    }
    const error = res.status >= 500 || res.status === 400 ? certbotError(res) : this.client.fail("POST", CERTS, res).message;
    op.log.warn({ step: "request-failed", status: res.status }, error);
    return { id: 0, error };
  }

  /** Deletes a certificate Wharf created, unless a host still uses it; already gone counts as deleted. */
  async removeOwn(id: number, hosts: NpmProxyHost[]): Promise<void> {
    if (!(id > 0) || hosts.some((h) => Number(h.certificate_id) === id)) return;
    const res = await this.client.call("DELETE", `${CERTS}/${id}`);
    if (res.status === 200 || (res.status === 404 && !(await this.get(id)))) return;
    throw this.client.fail("DELETE", `${CERTS}/${id}`, res);
  }

  /** The certificate a Wharf host serves, as NPM records it. */
  async inspect(host: NpmProxyHost | undefined, fqdn: string): Promise<CertificateCheck> {
    if (!host) return { status: "failed", error: `Nginx Proxy Manager has no Wharf proxy host for ${fqdn}` };
    const id = Number(host.certificate_id ?? 0);
    if (!(id > 0)) {
      const err = host.meta?.[META_CERT_ERROR];
      return { status: "failed", error: typeof err === "string" && err ? err : `proxy host #${host.id} (${fqdn}) has no certificate yet` };
    }
    const cert = await this.get(id);
    const notAfter = cert && certExpiry(cert);
    if (!cert || !notAfter) return { status: "failed", error: `certificate #${id} of proxy host #${host.id} is missing in Nginx Proxy Manager` };
    const issuer = cert.meta?.letsencrypt_certificate?.issuer;
    return { status: "issued", issuer: typeof issuer === "string" && issuer ? issuer : "Let's Encrypt", notAfter, names: cert.domain_names.map((d) => d.toLowerCase()) };
  }
}
