import { db } from "../db";
import { emitEvent } from "../outbox/emit-event";
import type { ConsumerRef } from "../naming";
import type { RouteTls } from "../proxy/types";
import type { TSettings } from "../settings/schemas";

/** The TLS columns every consumer row (Instance, StandaloneProxy) carries. */
export interface TlsColumns {
  tlsHttps: boolean;
  tlsRedirect: boolean;
  tlsHsts: boolean;
  certStatus: string;
  certIssuer: string | null;
  certNotAfter: Date | null;
  certError: string | null;
  certAttempts: number;
  certRetryAt: Date | null;
  certCheckedAt: Date | null;
  forceTls?: boolean;
}

export type CertStatus = "off" | "pending" | "issued" | "failed";

const EXPIRY_WARN_MS = 14 * 24 * 3600_000;

const TLS_SELECT = {
  tlsHttps: true, tlsRedirect: true, tlsHsts: true, certStatus: true, certIssuer: true, certNotAfter: true,
  certError: true, certAttempts: true, certRetryAt: true, certCheckedAt: true,
} as const;

/** Does the consumer want a certificate under these settings? */
export function wantsTls(settings: TSettings, row: Pick<TlsColumns, "tlsHttps">): boolean {
  return settings.tls.mode !== "off" && row.tlsHttps;
}

/**
 * The TLS part of a consumer's route. Redirect and HSTS wait for the issued
 * certificate (SPEC §7): until Wharf has seen it, plain HTTP keeps serving.
 * A standalone proxy's older "force TLS" switch means the same as redirect.
 */
export function routeTls(settings: TSettings, row: Pick<TlsColumns, "tlsHttps" | "tlsRedirect" | "tlsHsts" | "certStatus" | "forceTls">): RouteTls | undefined {
  if (settings.tls.mode === "off" || !row.tlsHttps) return undefined;
  const issued = row.certStatus === "issued";
  return { issuer: { mode: settings.tls.mode, acme: settings.tls.acme }, redirect: issued && (row.tlsRedirect || row.forceTls === true), hsts: issued && row.tlsHsts };
}

export async function readTlsColumns(c: ConsumerRef): Promise<TlsColumns | null> {
  return c.type === "instance"
    ? db.instance.findUnique({ where: { id: c.id }, select: TLS_SELECT })
    : db.standaloneProxy.findUnique({ where: { id: c.id }, select: { ...TLS_SELECT, forceTls: true } });
}

/** Writes certificate state; a consumer removed meanwhile is not an error (nothing left to record on). */
export async function writeCertState(c: ConsumerRef, data: Partial<TlsColumns>): Promise<void> {
  const { forceTls: _ignored, ...cols } = data;
  void _ignored;
  // A certificate that becomes failed is announced (issue 29), in the transaction that records it.
  await db.$transaction(async (tx) => {
    const before = cols.certStatus === "failed"
      ? c.type === "instance"
        ? await tx.instance.findUnique({ where: { id: c.id }, select: { name: true, certStatus: true } })
        : await tx.standaloneProxy.findUnique({ where: { id: c.id }, select: { domain: true, certStatus: true } }).then((r) => r && { name: r.domain, certStatus: r.certStatus })
      : null;
    if (c.type === "instance") await tx.instance.updateMany({ where: { id: c.id }, data: cols });
    else await tx.standaloneProxy.updateMany({ where: { id: c.id }, data: cols });
    if (before && before.certStatus !== "failed") {
      await emitEvent(tx, {
        event: "certificate.failed",
        consumer: { type: c.type, id: c.id, name: before.name },
        path: c.type === "instance" ? `/instances/${c.id}` : `/proxies/${c.id}`,
        message: `${before.name}: the certificate could not be obtained: ${cols.certError ?? "no reason recorded"}`,
      });
    }
  });
}

/** `tls` in the instance and proxy API responses (SPEC §10). */
export function presentTls(row: Pick<TlsColumns, "certStatus" | "certIssuer" | "certNotAfter" | "certError" | "certRetryAt">) {
  return {
    status: row.certStatus as CertStatus,
    ...(row.certIssuer && row.certStatus === "issued" ? { issuer: row.certIssuer } : {}),
    ...(row.certNotAfter && row.certStatus === "issued" ? { notAfter: row.certNotAfter, expiresSoon: row.certNotAfter.getTime() - Date.now() < EXPIRY_WARN_MS } : {}),
    ...(row.certError && row.certStatus !== "issued" && row.certStatus !== "off" ? { error: row.certError } : {}),
    ...(row.certRetryAt && row.certStatus === "failed" ? { retryAt: row.certRetryAt } : {}),
  };
}
export type TTlsView = ReturnType<typeof presentTls>;

export function tlsOptions(row: Pick<TlsColumns, "tlsHttps" | "tlsRedirect" | "tlsHsts">) {
  return { https: row.tlsHttps, redirect: row.tlsRedirect, hsts: row.tlsHsts };
}
