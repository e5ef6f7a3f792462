import { recordEvent, type Actor } from "../audit/record-event";
import { db } from "../db";
import { AppError, errorMessage } from "../errors";
import { normalizeFqdn, type ConsumerType } from "../naming";
import { withConsumer } from "../consumers/consumer-lease";
import { getSettings } from "../settings/get-settings";
import { getDnsProvider } from "./provider-for-settings";
import { removeLedgerRow } from "./remove-ledger-row";

/**
 * Manual delete of one owned record (SPEC §11, DELETE /api/dns/records/{fqdn}):
 * at the provider, then from the ledger. Only ledger records qualify; a name
 * that is not in the ledger (a foreign record, or one merely expected) is a
 * 404. A provider failure is a 502 and leaves the row `failed` with the
 * provider's error. If the consumer still exists, the next sync re-creates it.
 */
export async function deleteDnsRecord(opts: { actor: Actor; fqdn: string }): Promise<{ fqdn: string; outcome: string }> {
  const fqdn = normalizeFqdn(opts.fqdn);
  try {
    const row = await db.dnsRecord.findUnique({ where: { fqdn } });
    if (!row) {
      throw new AppError("NOT_FOUND", `${fqdn} is not in Wharf's DNS ledger: Wharf only deletes records it created`, { field: "fqdn" });
    }
    // Under the lease of the record's consumer, and on the row as read under it.
    const res = await withConsumer({ consumer: { type: row.consumerType as ConsumerType, id: row.consumerId }, operation: "dns.delete" }, async () => {
      const current = await db.dnsRecord.findUnique({ where: { fqdn } });
      if (!current) return { ok: true as const, outcome: "already gone" };
      return removeLedgerRow({ id: current.id, provider: getDnsProvider(await getSettings()) });
    });
    if (!res.ok) {
      throw new AppError(res.reason === "provider" ? "PROVIDER_ERROR" : "CONFLICT", res.reason === "provider" ? `${row.provider} refused to delete ${fqdn}: ${res.error}` : res.error);
    }
    const note = res.outcome === "foreign-left" ? "; the record at the provider is not Wharf's and was left in place" : "";
    await recordEvent({ actor: opts.actor, action: "dns.delete", target: fqdn, result: "ok", message: `${row.type} ${row.content} at ${row.provider}${note}` });
    return { fqdn, outcome: res.outcome };
  } catch (err) {
    await recordEvent({ actor: opts.actor, action: "dns.delete", target: fqdn, result: "error", message: errorMessage(err) });
    throw err;
  }
}
