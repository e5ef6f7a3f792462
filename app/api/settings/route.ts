import { apiRoute, readJson } from "@/lib/http";
import { getSettings } from "@/lib/settings/get-settings";
import { toPublicSettings } from "@/lib/settings/public-settings";
import { updateSettings } from "@/lib/settings/update-settings";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async () => toPublicSettings(await getSettings()));

// ?confirmDnsCleanup=true confirms removing owned DNS records at the old provider (409 without it when needed).
export const PUT = apiRoute({ role: "admin", action: "settings.update" }, async ({ req, actor }) => {
  const confirmDnsCleanup = new URL(req.url).searchParams.get("confirmDnsCleanup") === "true";
  return toPublicSettings(await updateSettings({ actor, body: await readJson(req), confirmDnsCleanup }));
});
