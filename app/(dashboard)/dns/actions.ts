"use server";
import { revalidatePath } from "next/cache";
import { runAction, type ActionResult } from "@/lib/action";
import { deleteDnsRecord } from "@/lib/dns/delete-record";

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
