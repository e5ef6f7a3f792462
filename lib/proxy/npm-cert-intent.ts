import { db } from "../db";

// Wharf's Let's Encrypt requests to NPM, recorded before they are sent
// (schema: NpmCertificateIntent). NPM stores the certificate even when the
// caller has given up, so after a timeout or a lost answer the certificate
// for exactly these names that is newer than the intent is Wharf's: claimed,
// never adopted as an operator's.

export interface CertIntent {
  id: string;
  routeId: string;
  domains: string[];
  maxIdBefore: number;
  requestedAt: Date;
}

const key = (domains: string[]) => [...domains].map((d) => d.toLowerCase()).sort().join(",");

export async function recordIntent(opts: { routeId: string; domains: string[]; maxIdBefore: number; liveHost: boolean }): Promise<CertIntent> {
  const row = await db.npmCertificateIntent.create({ data: { routeId: opts.routeId, domains: key(opts.domains), maxIdBefore: opts.maxIdBefore, liveHost: opts.liveHost } });
  return { ...row, domains: row.domains.split(",") };
}

export async function openIntents(routeId: string): Promise<CertIntent[]> {
  const rows = await db.npmCertificateIntent.findMany({ where: { routeId }, orderBy: { requestedAt: "asc" } });
  return rows.map((r) => ({ ...r, domains: r.domains.split(",") }));
}

export async function closeIntent(id: string): Promise<void> {
  await db.npmCertificateIntent.deleteMany({ where: { id } });
}

export async function closeIntents(routeId: string): Promise<void> {
  await db.npmCertificateIntent.deleteMany({ where: { routeId } });
}

/** Whether a certificate is the one this intent asked for: exactly its names, and created after it. */
export function answersIntent(intent: CertIntent, cert: { id: number; domain_names: string[] }): boolean {
  return cert.id > intent.maxIdBefore && key(cert.domain_names) === intent.domains.join(",");
}

/**
 * Requests NPM is (or may be) running certbot for on a host that already
 * serves the names: NPM takes that host out of nginx until certbot ends. Only
 * intents younger than the request timeout can still be running.
 */
export async function liveIssuances(timeoutMs: number): Promise<{ routeId: string; domains: string[]; since: Date }[]> {
  const rows = await db.npmCertificateIntent.findMany({ where: { liveHost: true, requestedAt: { gt: new Date(Date.now() - timeoutMs) } }, orderBy: { requestedAt: "asc" }, take: 50 });
  return rows.map((r) => ({ routeId: r.routeId, domains: r.domains.split(","), since: r.requestedAt }));
}
