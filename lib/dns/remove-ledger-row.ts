import { db } from "../db";
import { errorMessage, isAppError } from "../errors";
import { operationLogger } from "../logger";
import { emitEvent } from "../outbox/emit-event";
import { deleteUnverifiedEvent } from "../outbox/sync-events";
import type { DnsProvider } from "./types";

export type RemoveRowResult =
  | { ok: true; outcome: "deleted" | "gone" | "never-written" | "foreign-left" }
  | { ok: false; reason: "not-configured" | "provider"; error: string };

/** Ledger rows keep provider errors for the UI; a whole HTML error page is not useful there. */
export const clip = (message: string) => message.slice(0, 1000);

/**
 * Whether the row's record can have been written by Wharf. At a provider
 * without markers (AdGuard Home) a `failed` row with no provider id is the
 * trace of a refused claim (a foreign rewrite was already there, see the
 * ensure hook): deleting by name and content would delete the operator's
 * rewrite, so only the ledger row goes.
 */
function maybeWritten(row: { status: string; providerRecordId: string | null }, provider: DnsProvider): boolean {
  return provider.hasMarkers || row.providerRecordId !== null || row.status !== "failed";
}

/**
 * Deletes one ledger row's record at `provider`, then the row (SPEC §8).
 * Never throws for provider trouble: the row then stays, `failed` with the
 * provider's error, so the record is never forgotten. `provider` is passed in
 * (not looked up) so that a provider switch can clean up at the OLD provider.
 */
export async function removeLedgerRow(opts: { id: string; provider: DnsProvider | null }): Promise<RemoveRowResult> {
  const row = await db.dnsRecord.findUnique({ where: { id: opts.id } });
  if (!row) return { ok: true, outcome: "gone" };
  const { provider } = opts;
  const op = operationLogger({ op: "dns.remove", consumer: `${row.consumerType}:${row.consumerId}`, fqdn: row.fqdn });
  const fail = async (reason: "not-configured" | "provider", error: string): Promise<RemoveRowResult> => {
    await db.$transaction(async (tx) => {
      await tx.dnsRecord.update({ where: { id: row.id }, data: { status: "failed", lastError: clip(error) } });
      // The provider took the delete but the record may still be served (AdGuard's read-back finds it): tell someone (issue 29).
      if (reason === "provider") await emitEvent(tx, deleteUnverifiedEvent(row, error));
    });
    op.fail(reason, error);
    return { ok: false, reason, error };
  };

  // The record lives where the row says; with another provider (or zone)
  // configured, a delete there would "succeed" on nothing and the real
  // record would be forgotten. Cloudflare learns its zone name lazily, so an
  // empty zone on either side cannot be compared.
  const zoneDiffers = Boolean(provider?.zone && row.zone && provider.zone !== row.zone);
  if (!provider || provider.type !== row.provider || zoneDiffers) {
    const where = provider ? `the configured provider is ${provider.type}${provider.zone ? ` (zone ${provider.zone})` : ""}` : "DNS is not in managed mode";
    return fail("not-configured", `cannot delete ${row.fqdn}: the record is at ${row.provider}${row.zone ? ` (zone ${row.zone})` : ""} and ${where}`);
  }
  if (!maybeWritten(row, provider)) {
    await db.dnsRecord.delete({ where: { id: row.id } });
    op.step("forgotten", { reason: "never written" });
    return { ok: true, outcome: "never-written" };
  }

  await db.dnsRecord.update({ where: { id: row.id }, data: { status: "deleting" } });
  try {
    await provider.deleteRecord({ fqdn: row.fqdn, type: row.type, content: row.content, id: row.providerRecordId });
  } catch (err) {
    // The provider shows a record at the name without Wharf's marker: ours is
    // not there (never created, or replaced by hand). Wharf leaves that record
    // alone and stops claiming the name.
    if (isAppError(err) && err.code === "FOREIGN_RESOURCE") {
      await db.dnsRecord.delete({ where: { id: row.id } });
      op.step("forgotten", { reason: "foreign record left in place", err: errorMessage(err) });
      return { ok: true, outcome: "foreign-left" };
    }
    return fail("provider", errorMessage(err));
  }
  await db.dnsRecord.delete({ where: { id: row.id } });
  op.step("deleted");
  return { ok: true, outcome: "deleted" };
}
