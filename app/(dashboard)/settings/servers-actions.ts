"use server";
import { revalidatePath } from "next/cache";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { createServer, deleteServer, updateServer } from "@/lib/servers/servers";
import { serverCreateBodyFromForm, serverUpdateBodyFromForm } from "@/lib/servers/server-form";
import { testServer, type TServerTest } from "@/lib/servers/test-server";

// Settings → Servers (SPEC §16): admin only, the role checked before the form
// is read (issue 21); the same lib calls as /api/servers, so the same rules
// and the same audit entries.

// Keys and certificates are never carried back into a refused form.
const SECRET_FIELDS = ["tls.ca", "tls.cert", "tls.key", "ssh.privateKey"];

export async function createServerAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult<{ id: string; name: string }>> {
  const res = await runAction({ role: "admin", action: "server.create", message: "Server added." }, async (actor) => {
    const s = await createServer({ actor, body: serverCreateBodyFromForm(form) });
    return { id: s.id, name: s.name };
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, SECRET_FIELDS);
}

/** Edit form of one server (bound to its id and transport). */
export async function updateServerAction(id: string, transport: string, _prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "server.update", message: "Server saved." }, async (actor) => {
    await updateServer({ actor, id, body: serverUpdateBodyFromForm(form, transport) });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, SECRET_FIELDS);
}

/** A server with instances is refused (409) with their names: the message says so. */
export async function deleteServerAction(id: string): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "server.delete", message: "Server deleted." }, (actor) => deleteServer({ actor, id }));
  if (res.ok) revalidatePath("/settings");
  return res;
}

/** "Test connection": reaches the engine and records the server up or down (an SSH host key is pinned on the first test). */
export async function testServerAction(id: string): Promise<ActionResult<TServerTest>> {
  const res = await runAction({ role: "admin", action: "server.test" }, (actor) => testServer({ actor, id }));
  revalidatePath("/settings");
  return res;
}
