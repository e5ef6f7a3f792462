"use server";
import { revalidatePath } from "next/cache";
import { runAction, type ActionResult } from "@/lib/action";
import { removeOrphanContainer, removeOrphanRoute } from "@/lib/reconcile/remove-orphan";

export async function removeOrphanAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "orphan.remove", message: "Orphan removed." }, (actor) => {
    const id = String(form.get("id") ?? "");
    return form.get("kind") === "route" ? removeOrphanRoute({ actor, id }) : removeOrphanContainer({ actor, id });
  });
  if (res.ok) revalidatePath("/");
  return res;
}
