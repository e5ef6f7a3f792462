import type { TEventInput } from "./emit-event";

/**
 * What a finished sync announces (pure): `sync.failed` when containers or
 * routes could not be repaired, `sync.drift` when DNS records were left
 * differing from the ledger, `dns.mass_delete_blocked` when the guard stopped
 * the deletes. Each folds per kind, so a sync failing every five minutes is
 * one message per fold window.
 */
export function syncEvents(r: { failed: number; blocked: string | null; containers: { failed: number }; routes: { failed: number }; lines: { kind: string; name: string; action: string; status: string }[] }, summary: string): TEventInput[] {
  const out: TEventInput[] = [];
  if (r.containers.failed || r.routes.failed) out.push({ event: "sync.failed", path: "/activity", message: `sync: ${r.containers.failed} container(s) and ${r.routes.failed} route(s) could not be repaired (${summary})` });
  if (r.failed) {
    const names = r.lines.filter((l) => l.kind === "dns" && l.status === "failed").map((l) => l.name).slice(0, 5);
    out.push({ event: "sync.drift", path: "/dns", message: `sync: ${r.failed} DNS record(s) still differ from the ledger${names.length ? `: ${names.join(", ")}` : ""}` });
  }
  if (r.blocked) out.push({ event: "dns.mass_delete_blocked", path: "/dns", message: `sync: deletes blocked by the mass-delete guard: ${r.blocked}` });
  return out;
}

export function syncThrewEvent(error: string): TEventInput {
  return { event: "sync.failed", path: "/activity", message: `sync failed: ${error}` };
}

export function deleteUnverifiedEvent(row: { fqdn: string; provider: string; consumerType: string; consumerId: string }, error: string): TEventInput {
  return {
    event: "dns.delete_unverified",
    consumer: { type: row.consumerType === "standalone" ? "standalone" : "instance", id: row.consumerId, name: row.fqdn },
    path: "/dns",
    message: `${row.fqdn}: the delete at ${row.provider} is not confirmed and the record may still be served: ${error}`,
    foldKey: `dns.delete_unverified:${row.fqdn}`,
  };
}
