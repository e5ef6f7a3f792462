"use server";
import { revalidatePath } from "next/cache";
import { runAction, type ActionResult } from "@/lib/action";
import { createProxy } from "@/lib/standalone-proxies/create-proxy";
import { deleteProxy } from "@/lib/standalone-proxies/delete-proxy";
import { updateProxy } from "@/lib/standalone-proxies/update-proxy";

export interface ProxyFormValues {
  domain: string;
  upstream: string;
  websockets: boolean;
  forceTls: boolean;
}

/** The action result plus what was submitted: React resets a form after its action, and a refused form must keep the operator's input. */
export type ProxyFormState = (ActionResult<{ id: string; domain: string }> & { values?: ProxyFormValues }) | null;

function formValues(form: FormData): ProxyFormValues {
  const text = (k: string) => (typeof form.get(k) === "string" ? String(form.get(k)).trim() : "");
  return { domain: text("domain"), upstream: text("upstream"), websockets: form.get("websockets") === "on", forceTls: form.get("forceTls") === "on" };
}

/** Blank text fields are left out so the schema answers "is required" rather than a format error. */
function body(v: ProxyFormValues): Record<string, unknown> {
  return { ...(v.domain ? { domain: v.domain } : {}), ...(v.upstream ? { upstream: v.upstream } : {}), websockets: v.websockets, forceTls: v.forceTls };
}

function refresh() {
  // "layout" also refreshes /proxies/[id], where the edit form lives.
  revalidatePath("/proxies", "layout");
}

export async function createProxyAction(_prev: ProxyFormState, form: FormData): Promise<ProxyFormState> {
  const res = await runAction({ role: "admin", action: "proxy.create" }, async (actor) => {
    const p = await createProxy({ actor, body: body(formValues(form)) });
    return { id: p.id, domain: p.domain };
  });
  if (!res.ok) return { ...res, values: formValues(form) };
  refresh();
  return { ...res, message: `Proxy ${res.data.domain} created.` };
}

export async function updateProxyAction(_prev: ProxyFormState, form: FormData): Promise<ProxyFormState> {
  const res = await runAction({ role: "admin", action: "proxy.update" }, async (actor) => {
    const p = await updateProxy({ actor, id: String(form.get("id") ?? ""), body: body(formValues(form)) });
    return { id: p.id, domain: p.domain };
  });
  const values = formValues(form);
  if (!res.ok) return { ...res, values };
  refresh();
  return { ...res, values, message: `Proxy ${res.data.domain} updated.` };
}

export async function deleteProxyAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "proxy.delete" }, async (actor) => {
    const id = String(form.get("id") ?? "");
    await deleteProxy({ actor, id });
    return { domain: String(form.get("domain") ?? id) };
  });
  if (res.ok) {
    res.message = `Proxy ${res.data.domain} deleted.`;
    refresh();
  }
  return res;
}
