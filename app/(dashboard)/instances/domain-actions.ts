"use server";
import { revalidatePath } from "next/cache";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { addDomain } from "@/lib/domains/add-domain";
import { checkDomain } from "@/lib/domains/check-domain";
import { removeDomain } from "@/lib/domains/remove-domain";

export async function addDomainAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult<{ domain: string }>> {
  const id = String(form.get("id"));
  const res = await runAction({ role: "admin", action: "domain.add", message: "Domain added: create one of the records below, then Check now." }, async (actor) => ({
    domain: (await addDomain({ actor, instanceId: id, body: { domain: String(form.get("domain") ?? "") } })).domain,
  }));
  revalidatePath("/instances");
  return withValues(res, form);
}

export async function domainAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const id = String(form.get("id"));
  const domain = String(form.get("domain"));
  const op = String(form.get("op"));
  const res = await runAction({ role: "admin", action: `domain.${op === "remove" ? "remove" : "check"}`, message: op === "remove" ? `Removing ${domain}.` : `Checking ${domain}.` }, async (actor) => {
    if (op === "remove") await removeDomain({ actor, instanceId: id, domain });
    else await checkDomain({ actor, instanceId: id, domain });
  });
  revalidatePath("/instances");
  return res;
}
