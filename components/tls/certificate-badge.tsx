import { Badge, type Tone } from "@/components/ui/badge";

export interface TlsView {
  status: string;
  issuer?: string;
  notAfter?: string | Date;
  error?: string;
  retryAt?: string | Date;
  /** Issued but expiring within 14 days (decided by the server). */
  expiresSoon?: boolean;
}

const tone: Record<string, Tone> = { issued: "green", pending: "blue", failed: "red", off: "gray" };
const day = (d: string | Date) => new Date(d).toISOString().slice(0, 10);

/** A consumer's certificate: status, and who issued it until when, or why it failed and when Wharf retries. */
export function CertificateBadge({ tls, compact = false }: { tls: TlsView; compact?: boolean }) {
  const soon = tls.expiresSoon === true;
  return (
    // The spacing only when there is more than the badge (a list repeats this on every row).
    <div className={tls.status === "issued" || tls.error ? "space-y-1" : undefined} data-testid="certificate" data-status={tls.status}>
      <Badge tone={soon ? "amber" : (tone[tls.status] ?? "gray")}>{tls.status === "off" ? "HTTP only" : `cert ${tls.status}`}</Badge>
      {tls.status === "issued" && (
        <p className="text-xs text-slate-600" data-testid="certificate-detail">
          {compact ? "" : `${tls.issuer} · `}until {tls.notAfter ? day(tls.notAfter) : "?"}
          {soon && " (renewal overdue)"}
        </p>
      )}
      {tls.error && (
        <p className="max-w-xs break-words text-xs text-rose-700" data-testid="certificate-error">
          {tls.error}
          {tls.retryAt && ` · retry after ${new Date(tls.retryAt).toLocaleString()}`}
        </p>
      )}
    </div>
  );
}
