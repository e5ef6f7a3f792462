import { apiRoute, readJson } from "@/lib/http";
import { createChannel, listChannels } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";

// Admin only, reads included: a channel's config names internal addresses.
export const GET = apiRoute({ role: "admin", action: "notifications.channel.list" }, async () => ({ items: await listChannels() }));

export const POST = apiRoute({ role: "admin", action: "notifications.channel.create", status: 201 }, async ({ req, actor }) => createChannel({ actor, body: await readJson(req) }));
