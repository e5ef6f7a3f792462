import { apiRoute, readJson } from "@/lib/http";
import { getSettings } from "@/lib/settings/get-settings";
import { toPublicSettings } from "@/lib/settings/public-settings";
import { updateSettingsAndReroute } from "@/lib/configuration/settings-change";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async () => toPublicSettings(await getSettings()));

// ?confirmDnsCleanup=true confirms removing owned DNS records at the old provider (409 without it when needed).
// ?removeManagedProxy=true confirms removing Wharf's Caddy container when switching away from it (kept otherwise).
export const PUT = apiRoute({ role: "admin", action: "settings.update" }, async ({ req, actor }) => {
  const query = new URL(req.url).searchParams;
  const confirmDnsCleanup = query.get("confirmDnsCleanup") === "true";
  const removeManagedProxy = query.get("removeManagedProxy") === "true";
  return toPublicSettings(await updateSettingsAndReroute({ actor, body: await readJson(req), confirmDnsCleanup, removeManagedProxy }));
});
