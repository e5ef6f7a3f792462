"use server";
import { revalidatePath } from "next/cache";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { createServer, deleteServer, getServer, updateServer } from "@/lib/servers/servers";
import { setNodeAvailability } from "@/lib/deployer/node-availability";
import { AppError } from "@/lib/errors";
import type { TNodeView } from "@/lib/servers/servers";
import { labelsFromText, serverCreateBodyFromForm, serverUpdateBodyFromForm } from "@/lib/servers/server-form";
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

/** A Swarm cluster's nodes (issue 28), read from its manager now. */
export async function listNodesAction(id: string): Promise<ActionResult<TNodeView[]>> {
  return runAction({ role: "admin", action: "server.get" }, async () => {
    const view = await getServer(id);
    if (!("nodes" in view) || !view.nodes) throw new AppError("PROVIDER_ERROR", ("nodesError" in view && view.nodesError) || `server ${view.name} has no nodes: it is not a Swarm cluster`);
    return view.nodes;
  });
}

/** A node's availability or labels ("k=v, k2=v2"); labels replace the node's whole. */
export async function updateNodeAction(id: string, nodeId: string, change: { availability?: string; labels?: string }): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "server.node.update", message: "Node updated." }, async (actor) => {
    const labels = change.labels === undefined ? undefined : labelsFromText(change.labels.split(",").join("\n"));
    await setNodeAvailability({ actor, id, nodeId, body: { ...(change.availability !== undefined ? { availability: change.availability } : {}), ...(labels !== undefined ? { labels } : {}) } });
  });
  revalidatePath("/settings");
  return res;
}
