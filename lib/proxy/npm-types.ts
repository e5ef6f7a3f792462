// The shapes the NPM provider's host half (npm-host.ts) and certificate half
// (npm-cert.ts) both speak: a proxy host as NPM returns it, the certificate
// keys Wharf keeps on a host's meta, and what a host gets attached.

/** A proxy host as NPM's API returns it. Older NPM versions send 0/1 for booleans. */
export interface NpmProxyHost {
  id: number;
  domain_names: string[];
  forward_scheme: string;
  forward_host: string;
  forward_port: number;
  allow_websocket_upgrade?: boolean | number;
  ssl_forced?: boolean | number;
  certificate_id?: number | string;
  advanced_config?: string;
  meta?: Record<string, unknown> | null;
  enabled?: boolean | number;
  [key: string]: unknown;
}

/** On a Wharf host's meta: the certificate Wharf requested (so Wharf's to delete), and the last request's error. */
export const META_CERT_ID = "wharf_certificate_id";
export const META_CERT_ERROR = "wharf_certificate_error";

/**
 * What to attach to a host: a certificate (created by Wharf or adopted), the
 * error of the failed request, or nothing yet while NPM is still issuing
 * Wharf's certificate `pending` (recorded on the host, so removal deletes it).
 */
export type CertChoice = { id: number; created: boolean } | { id: 0; error: string } | { id: 0; pending: number };
