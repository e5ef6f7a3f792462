"use server";
import { revalidatePath } from "next/cache";
import { runAction, type ActionResult } from "@/lib/action";
import { deleteDnsRecord } from "@/lib/dns/delete-record";
import { runSync } from "@/lib/reconcile/run-sync";
import type { SyncReport } from "@/lib/reconcile/report";

/** Manual delete of one owned record, at the provider and from the ledger. */
export async function deleteDnsRecordAction(fqdn: string): Promise<ActionResult<{ fqdn: string }>> {
  const res = await runAction({ role: "admin", action: "dns.delete", message: `Deleted ${fqdn}.` }, async (actor) => {
    await deleteDnsRecord({ actor, fqdn });
    return { fqdn };
  });
  // A failed delete also changed the row (status failed, the provider's error), so refresh either way.
  revalidatePath("/dns");
  return res;
}

/** "Sync now" and its dry-run preview: the same reconcile as the cron route and the scheduler. */
export async function syncAction(opts: { dryRun: boolean; force?: boolean }): Promise<ActionResult<SyncReport>> {
  const res = await runAction({ role: "admin", action: opts.dryRun ? "sync.preview" : "sync.run" }, (actor) =>
    runSync({ trigger: "manual", dryRun: opts.dryRun, force: opts.force ?? false, actor }),
  );
  if (!opts.dryRun) revalidatePath("/dns");
  return res;
}
