"use server";
import { revalidatePath } from "next/cache";
import { runAction, type ActionResult } from "@/lib/action";
import { removeOrphanContainer, removeOrphanRoute } from "@/lib/reconcile/remove-orphan";
import { chooseManagedProxy } from "@/lib/configuration/choose-managed-proxy";

export async function removeOrphanAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "orphan.remove", message: "Orphan removed." }, (actor) => {
    const id = String(form.get("id") ?? "");
    return form.get("kind") === "route" ? removeOrphanRoute({ actor, id }) : removeOrphanContainer({ actor, id });
  });
  if (res.ok) revalidatePath("/");
  return res;
}

/** The first-run notice's one click (issue 24): Wharf starts its own Caddy and routes every instance. */
export async function chooseManagedProxyAction(_prev: ActionResult | null): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "settings.update", message: "Wharf's Caddy is running; instances are reachable by name." }, async (actor) => {
    await chooseManagedProxy({ actor });
  });
  if (res.ok) revalidatePath("/", "layout");
  return res;
}
