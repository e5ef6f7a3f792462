"use server";
import { revalidatePath } from "next/cache";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { createChannel, deleteChannel, updateChannel } from "@/lib/notifications/channels";
import { setPublicUrl } from "@/lib/notifications/public-url";
import { testChannel } from "@/lib/notifications/test-channel";
import { channelBodyFromForm } from "@/lib/notifications/channel-form";

const text = (form: FormData, k: string) => {
  const v = form.get(k);
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
};

// Secrets are never echoed back into a refused form (a Slack/Discord URL is one).
const SECRET_FIELDS = ["secret", "password", "token", "config.url"];

export async function createChannelAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  // The session and role are checked before the form is parsed (issue 21).
  const res = await runAction({ role: "admin", action: "notifications.channel.create", message: "Channel added." }, async (actor) => {
    await createChannel({ actor, body: { ...channelBodyFromForm(form), type: form.get("type") ?? "", enabled: true } });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, SECRET_FIELDS);
}

/**
 * Edit form of one channel (bound to its id): name, events and the whole
 * config. A blank secret keeps the stored one only while its address is
 * unchanged, the API's PATCH rule (lib/notifications/channel-config.ts).
 */
export async function updateChannelAction(id: string, _prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "notifications.channel.update", message: "Channel saved." }, async (actor) => {
    await updateChannel({ actor, id, body: channelBodyFromForm(form) });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, SECRET_FIELDS);
}

export async function setChannelEnabledAction(id: string, enabled: boolean): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "notifications.channel.update", message: enabled ? "Channel enabled." : "Channel disabled." }, async (actor) => {
    await updateChannel({ actor, id, body: { enabled } });
  });
  if (res.ok) revalidatePath("/settings");
  return res;
}

export async function deleteChannelAction(id: string): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "notifications.channel.delete", message: "Channel deleted." }, (actor) => deleteChannel({ actor, id }));
  if (res.ok) revalidatePath("/settings");
  return res;
}

/** "Send test": the receiver's exact answer, success or not. */
export async function testChannelAction(id: string): Promise<ActionResult<{ ok: boolean; message: string }>> {
  const res = await runAction({ role: "admin", action: "notifications.channel.test" }, async (actor) => {
    const r = await testChannel({ actor, id });
    return r.ok ? { ok: true, message: "Test message delivered." } : { ok: false, message: r.error };
  });
  revalidatePath("/settings");
  return res;
}

export async function savePublicUrlAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const res = await runAction({ role: "admin", action: "notifications.public_url", message: "Public URL saved." }, async (actor) => {
    await setPublicUrl({ actor, body: { publicUrl: text(form, "publicUrl") ?? null } });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form);
}
