import type { TEventInput } from "./emit-event";

/** A certificate expiring soon: announced once per consumer and expiry date (every sync sees it again until renewed). */
export function expiringEvent(c: { type: "instance" | "standalone"; id: string }, fqdn: string, notAfter: Date, issuer: string): TEventInput {
  const days = Math.max(0, Math.floor((notAfter.getTime() - Date.now()) / 86_400_000));
  return {
    event: "certificate.expiring",
    consumer: { type: c.type, id: c.id, name: fqdn },
    path: c.type === "instance" ? `/instances/${c.id}` : `/proxies/${c.id}`,
    message: `${fqdn}: the certificate from ${issuer} expires on ${notAfter.toISOString()} (in ${days} days) and has not been renewed`,
    foldKey: `certificate.expiring:${c.type}:${c.id}:${notAfter.toISOString()}`,
    once: true,
  };
}
