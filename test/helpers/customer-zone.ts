import { POWERDNS } from "./tls";

// The customer's own zone for the custom-domain tests (issue 25): the shared
// test PowerDNS serves `customer.test` beside Wharf's zones, and records in it
// are made by hand, as the domain's owner would. Tests use names of their own
// under it and delete their records afterwards; the zone itself is shared.

export const CUSTOMER_ZONE = "customer.test";

async function pdns(method: string, p: string, body?: unknown): Promise<Response> {
  return fetch(`${POWERDNS.apiUrl}/api/v1/servers/localhost${p}`, { method, headers: { "X-API-Key": POWERDNS.apiKey, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
}

/** Creates the zone unless it exists (409 from a concurrent or earlier run is fine). */
export async function ensureZone(zone: string): Promise<void> {
  const res = await pdns("POST", "/zones", { name: `${zone}.`, kind: "Native", nameservers: [] });
  if (res.status !== 201 && res.status !== 409) throw new Error(`PowerDNS zone ${zone}: ${res.status} ${await res.text()}`);
}

/** Replaces the rrset `name`/`type` (records as PowerDNS content: CNAME with a trailing dot, TXT quoted). Empty: deletes it. */
export async function setRecords(zone: string, name: string, type: "A" | "AAAA" | "CNAME" | "TXT", contents: string[]): Promise<void> {
  const rrset = contents.length
    ? { name: `${name}.`, type, ttl: 1, changetype: "REPLACE", records: contents.map((content) => ({ content, disabled: false })) }
    : { name: `${name}.`, type, changetype: "DELETE" };
  const res = await pdns("PATCH", `/zones/${zone}.`, { rrsets: [rrset] });
  if (res.status !== 204) throw new Error(`PowerDNS ${type} ${name}: ${res.status} ${await res.text()}`);
  // The API purges the zone's caches on a change already; this also covers a negative answer cached for the name.
  await pdns("PUT", `/cache/flush?domain=${encodeURIComponent(`${zone}.`)}`);
}

/** Deletes every record at `name` (and at its challenge name) of the types the tests use. */
export async function clearName(zone: string, name: string): Promise<void> {
  for (const type of ["A", "AAAA", "CNAME", "TXT"] as const) await setRecords(zone, name, type, []);
  await setRecords(zone, `_wharf-challenge.${name}`, "TXT", []);
}
