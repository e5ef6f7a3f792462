import { apiRoute, readJson } from "@/lib/http";
import { deleteChannel, updateChannel } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";

export const PATCH = apiRoute({ role: "admin", action: "notifications.channel.update" }, async ({ req, actor, params }) => updateChannel({ actor, id: params.id, body: await readJson(req) }));

export const DELETE = apiRoute({ role: "admin", action: "notifications.channel.delete" }, async ({ actor, params }) => {
  await deleteChannel({ actor, id: params.id });
});
