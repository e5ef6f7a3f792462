"use server";
import { revalidatePath } from "next/cache";
import { runAction, withValues, type ActionResult } from "@/lib/action";
import { createChannel, deleteChannel, updateChannel } from "@/lib/notifications/channels";
import { setPublicUrl } from "@/lib/notifications/public-url";
import { testChannel } from "@/lib/notifications/test-channel";

const text = (form: FormData, k: string) => {
  const v = form.get(k);
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
};

/** The config fields of the chosen type, from the form (blank secrets mean "keep the stored one"). */
function configFrom(form: FormData, type: string): Record<string, unknown> {
  switch (type) {
    case "webhook":
      return { url: text(form, "config.url"), secret: text(form, "config.secret") };
    case "slack":
    case "discord":
      return { url: text(form, "config.url") };
    case "ntfy":
      return { serverUrl: text(form, "config.serverUrl"), topic: text(form, "config.topic"), token: text(form, "config.token"), priority: Number(text(form, "config.priority") ?? 3) };
    case "email": {
      const to = (text(form, "config.to") ?? "").split(/[,\s]+/).filter(Boolean);
      return {
        host: text(form, "config.host"), port: Number(text(form, "config.port") ?? 587), security: text(form, "config.security") ?? "starttls",
        username: text(form, "config.username"), password: text(form, "config.password"), from: text(form, "config.from"), to, trustedRootPem: text(form, "config.trustedRootPem"),
      };
    }
    default:
      return {};
  }
}

function eventsFrom(form: FormData): "all" | string[] {
  return form.get("events.all") === "on" ? "all" : form.getAll("events").map(String);
}

export async function createChannelAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const type = String(form.get("type") ?? "");
  const res = await runAction({ role: "admin", action: "notifications.channel.create", message: "Channel added." }, async (actor) => {
    await createChannel({ actor, body: { name: form.get("channelName") ?? "", type, config: configFrom(form, type), events: eventsFrom(form), enabled: true } });
  });
  if (res.ok) revalidatePath("/settings");
  return withValues(res, form, ["secret", "password", "token", "config.url"]);
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
