import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { certificateFacts } from "./npm-cert-file";
import { answersIntent, closeIntent, closeIntents, openIntents, recordIntent, type CertIntent } from "./npm-cert-intent";
import type { NpmClient, NpmResponse } from "./npm-client";
import { META_CERT_ERROR, META_CERT_ID, type CertChoice, type NpmProxyHost } from "./npm-types";
import type { CertificateCheck } from "./types";

// Certificates through NPM's /api/nginx/certificates (NPM 2.15 schema). NPM
// runs certbot inside the POST, so a request is answered issued (201) or
// failed (500, certbot's stderr in debug.stack) after as long as certbot
// takes: the POST gets minutes (WHARF_NPM_CERT_TIMEOUT_S), and the request is
// recorded before it is sent (npm-cert-intent.ts) so that a certificate NPM
// stored after Wharf stopped waiting is claimed as Wharf's, not adopted.
// NPM stores the row before certbot runs (expires_on = created_on until it
// is done) and deletes it again when certbot fails.

const CERTS = "/api/nginx/certificates";
export const NO_INTERNAL_CA = "Nginx Proxy Manager has no internal CA; choose acme";

export interface NpmCertificate {
  id: number;
  provider: string;
  domain_names: string[];
  expires_on?: string | null;
  meta?: { letsencrypt_certificate?: { issuer?: string } } & Record<string, unknown>;
}

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

/** A Let's Encrypt row certbot has not finished: NPM sets expires_on to the creation time until it has. */
function issuing(c: NpmCertificate & { created_on?: string }): boolean {
  return c.provider === "letsencrypt" && (!c.expires_on || c.expires_on === c.created_on);
}

const CERTBOT_NOISE = /^(CommandError: )?(Saving debug log|Requesting a certificate|Ask for help|See the logfile|An unexpected error occurred:?$)/;

/**
 * The line of certbot's stderr that says what went wrong. NPM sends the
 * output as the lines of `debug.stack`, the first prefixed "CommandError: ",
 * mostly boilerplate ("Saving debug log…", "Ask for help…"); the cause is
 * certbot's `Error:`/`ValueError:` line, else a `Detail:` line of the CA.
 */
export function certbotLine(lines: string[]): string | null {
  const clean = lines.map((l) => l.replace(/^CommandError: /, "").trim()).filter(Boolean);
  const error = clean.filter((l) => /^([\w.]*\.)?(Value)?Error: /.test(l) || /^[\w.]+\.\w*Error: /.test(l)).pop();
  if (error) return error;
  const detail = clean.find((l) => /^Detail: /.test(l));
  if (detail) return detail;
  return clean.find((l) => !CERTBOT_NOISE.test(l)) ?? null;
}

/** NPM's error for a failed request: the line of certbot's output that matters, else NPM's message. */
export function certbotError(res: NpmResponse): string {
  const stack = (res.body as { debug?: { stack?: unknown } } | null)?.debug?.stack;
  const lines = Array.isArray(stack) ? stack.filter((l): l is string => typeof l === "string") : typeof stack === "string" ? stack.split("\n") : [];
  const line = certbotLine(lines);
  return `Nginx Proxy Manager could not obtain a certificate (${res.status}): ${line ?? res.message ?? "no message"}`;
}

export class NpmCertificates {
  constructor(
    private readonly client: NpmClient,
    private readonly requestTimeoutMs: number,
  ) {}

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
   * host before (or claimed after a request whose answer it did not get),
   * else an existing one that has not expired (adopted, never Wharf's to
   * delete), else a new Let's Encrypt request (unless `request: false` and
   * the host records a failed one). `liveHost`: a host serves the names
   * now, and NPM takes it out of nginx while certbot runs.
   */
  async choose(routeId: string, hosts: string[], existing?: NpmProxyHost, opts: { request?: boolean; liveHost?: boolean } = {}): Promise<CertChoice> {
    const op = operationLogger({ op: "proxy.certificate", consumer: routeId, provider: "npm" });
    const all = await this.list();
    const ownId = Number(existing?.meta?.[META_CERT_ID] ?? 0);
    const ownRow = all.find((c) => c.id === ownId && sameNames(c, hosts));
    if (ownRow && usable(ownRow, hosts)) return { id: ownRow.id, created: true };
    // A certificate NPM stored after Wharf stopped waiting for its answer is Wharf's.
    const claimed = await this.claim(routeId, all);
    const mine = [...claimed, ...(ownRow ? [ownRow] : [])].find((c) => sameNames(c, hosts) && (usable(c, hosts) || issuing(c)));
    if (mine) {
      op.step("claimed", { certificateId: mine.id, issuing: !usable(mine, hosts) });
      // Still issuing: one issuance at a time, never a second request for the same names.
      return usable(mine, hosts) ? { id: mine.id, created: true } : { id: 0, pending: mine.id };
    }
    const claimedIds = new Set(claimed.map((c) => c.id));
    const adopt = all.filter((c) => !claimedIds.has(c.id) && usable(c, hosts)).sort((a, b) => certExpiry(b)!.getTime() - certExpiry(a)!.getTime())[0];
    if (adopt) {
      op.step("adopt", { certificateId: adopt.id });
      return { id: adopt.id, created: false };
    }
    const lastError = existing?.meta?.[META_CERT_ERROR];
    // A failed request is repeated by retryCertificate (the reconciler's backoff), not by every route write.
    if (opts.request === false && typeof lastError === "string" && lastError) return { id: 0, error: lastError };
    // The certificate NPM was still issuing when Wharf stopped waiting is gone: certbot failed (NPM deletes the row). Same backoff.
    if (opts.request === false && ownId > 0 && !ownRow && Number(existing?.certificate_id ?? 0) === 0) {
      return { id: 0, error: `Nginx Proxy Manager no longer has certificate #${ownId}, which it was still issuing when Wharf stopped waiting: certbot failed` };
    }
    return this.request(routeId, hosts, all, Boolean(opts.liveHost));
  }

  /**
   * One Let's Encrypt request, recorded first. 2.15's schema allows no
   * letsencrypt_email/agree in meta (older NPMs required them): the minimal
   * body is valid on both.
   */
  private async request(routeId: string, hosts: string[], all: NpmCertificate[], liveHost: boolean): Promise<CertChoice> {
    const op = operationLogger({ op: "proxy.certificate", consumer: routeId, provider: "npm" });
    const intent = await recordIntent({ routeId, domains: hosts, maxIdBefore: Math.max(0, ...all.map((c) => c.id)), liveHost });
    op.step("request", { domains: hosts.join(","), liveHost, timeoutMs: this.requestTimeoutMs });
    let res: NpmResponse;
    try {
      res = await this.client.call("POST", CERTS, { provider: "letsencrypt", domain_names: hosts, meta: {} }, { timeoutMs: this.requestTimeoutMs });
    } catch (err) {
      // No answer (timeout, connection lost): NPM may store the certificate later; the intent stays open for it.
      const found = await this.settle(intent);
      if (found) return found;
      const why = err instanceof AppError && err.code === "TIMEOUT" ? `did not answer the certificate request within ${Math.round(this.requestTimeoutMs / 1000)} s` : `lost the answer to the certificate request (${errorMessage(err)})`;
      op.log.warn({ step: "request-unanswered" }, why);
      return { id: 0, error: `Nginx Proxy Manager ${why}; a certificate it stores for ${hosts.join(", ")} later is claimed as Wharf's` };
    }
    if (res.status === 201 || res.status === 200) {
      const id = Number((res.body as NpmCertificate).id);
      await closeIntent(intent.id);
      op.step("created", { certificateId: id });
      return { id, created: true };
    }
    if (res.status >= 500) {
      // The answer may be an error after NPM stored an issued certificate: look before calling it failed.
      const found = await this.settle(intent);
      if (found) return found;
    }
    // NPM deleted the row of a failed request: nothing is left to claim.
    await closeIntent(intent.id);
    const error = res.status >= 500 || res.status === 400 ? certbotError(res) : this.client.fail("POST", CERTS, res).message;
    op.log.warn({ step: "request-failed", status: res.status }, error);
    return { id: 0, error };
  }

  /** After an unanswered request: the certificate NPM stored for it, if any, claimed (the intent closes once the host records it). */
  private async settle(intent: CertIntent): Promise<CertChoice | null> {
    const cert = (await this.list()).find((c) => answersIntent(intent, c));
    if (!cert) return null;
    operationLogger({ op: "proxy.certificate", consumer: intent.routeId, provider: "npm" }).step("claimed", { certificateId: cert.id });
    return usable(cert, intent.domains) ? { id: cert.id, created: true } : { id: 0, pending: cert.id };
  }

  /** Certificates answering this route's open intents. */
  private async claim(routeId: string, all: NpmCertificate[]): Promise<NpmCertificate[]> {
    const intents = await openIntents(routeId);
    return all.filter((c) => intents.some((i) => answersIntent(i, c)));
  }

  /** The host now records the certificate (or the failure): the route's intents are settled. */
  async settled(routeId: string): Promise<void> {
    await closeIntents(routeId);
  }

  /** On removal: certificates claimed from open intents are Wharf's too (the host may never have recorded them). */
  async claimedIds(routeId: string): Promise<number[]> {
    const intents = await openIntents(routeId);
    if (intents.length === 0) return [];
    return (await this.claim(routeId, await this.list())).map((c) => c.id);
  }

  /** Deletes a certificate Wharf created, unless a host still uses it; already gone counts as deleted. */
  async removeOwn(id: number, hosts: NpmProxyHost[]): Promise<void> {
    if (!(id > 0) || hosts.some((h) => Number(h.certificate_id) === id)) return;
    const res = await this.client.call("DELETE", `${CERTS}/${id}`);
    if (res.status === 200 || (res.status === 404 && !(await this.get(id)))) return;
    throw this.client.fail("DELETE", `${CERTS}/${id}`, res);
  }

  /**
   * The certificate a Wharf host serves: NPM's row says which and until
   * when, the certificate itself (NPM's download) who issued it.
   */
  async inspect(host: NpmProxyHost | undefined, fqdn: string): Promise<CertificateCheck> {
    if (!host) return { status: "failed", error: `Nginx Proxy Manager has no Wharf proxy host for ${fqdn}` };
    const id = Number(host.certificate_id ?? 0);
    if (!(id > 0)) {
      const own = Number(host.meta?.[META_CERT_ID] ?? 0);
      const row = own > 0 ? await this.get(own) : null;
      if (row && issuing(row)) return { status: "pending", error: `Nginx Proxy Manager is still issuing certificate #${own} for ${fqdn} (certbot runs inside NPM's API call)` };
      if (row) return { status: "pending", error: `certificate #${own} for ${fqdn} is issued and is attached to proxy host #${host.id} at the next write` };
      const err = host.meta?.[META_CERT_ERROR];
      return { status: "failed", error: typeof err === "string" && err ? err : `proxy host #${host.id} (${fqdn}) has no certificate yet` };
    }
    const cert = await this.get(id);
    const notAfter = cert && certExpiry(cert);
    if (!cert || !notAfter) return { status: "failed", error: `certificate #${id} of proxy host #${host.id} is missing in Nginx Proxy Manager` };
    const path = `${CERTS}/${id}/download`;
    const res = await this.client.call("GET", path);
    const names = cert.domain_names.map((d) => d.toLowerCase());
    // A custom certificate has no certbot files to download: NPM's row is all there is.
    if (res.status !== 200 || !res.bytes) return { status: "issued", issuer: `unknown (Nginx Proxy Manager did not provide certificate #${id}: ${res.status} ${res.message ?? ""})`.trim(), notAfter, names };
    try {
      const facts = certificateFacts(res.bytes);
      return { status: "issued", issuer: facts.issuer, notAfter: facts.notAfter, names: facts.names.length ? facts.names : names };
    } catch (err) {
      return { status: "failed", error: `certificate #${id} from Nginx Proxy Manager cannot be read: ${errorMessage(err)}` };
    }
  }
}
