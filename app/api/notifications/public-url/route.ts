import { apiRoute, readJson } from "@/lib/http";
import { getPublicUrl, setPublicUrl } from "@/lib/notifications/public-url";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin" }, async () => ({ publicUrl: await getPublicUrl() }));

export const PUT = apiRoute({ role: "admin", action: "notifications.public_url" }, async ({ req, actor }) => setPublicUrl({ actor, body: await readJson(req) }));
