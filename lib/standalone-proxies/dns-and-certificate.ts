import { ensureConsumerDns } from "../dns/hooks";
import type { operationLogger } from "../logger";
import type { ProxyProvider } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { proxyCertificate } from "./proxy-certificate";

/**
 * The steps after a standalone proxy's row is written, shared by create and
 * update: its DNS record (best-effort, the hook removes a record at an old
 * name first), then its certificate. Neither fails the operation: a DNS
 * failure becomes a note for the audit line (the reconciler retries), a
 * certificate outcome is recorded on the row (tls.status/error in the API
 * and UI) and retried by the reconciler.
 */
export async function proxyDnsAndCertificate(opts: {
  id: string;
  domain: string;
  settings: TSettings;
  provider: ProxyProvider | null;
  dns: boolean;
  certificate: boolean;
  op: ReturnType<typeof operationLogger>;
  /** Extra fields on each step's log line. */
  fields?: Record<string, unknown>;
}): Promise<string> {
  const { id, domain, settings, provider, op } = opts;
  let note = "";
  if (opts.dns) {
    const dns = await ensureConsumerDns({ consumer: { type: "standalone", id }, fqdn: domain, settings });
    op.step("dns", { ...opts.fields, status: dns.status });
    if (dns.status === "failed") note = `; DNS failed (the reconciler retries): ${dns.error}`;
  }
  if (provider && opts.certificate) {
    const cert = await proxyCertificate({ id, domain, settings, provider });
    op.step("certificate", { ...opts.fields, status: cert.status });
  }
  return note;
}
