import { AppError } from "@/lib/errors";
import { apiRoute } from "@/lib/http";
import { testConnection } from "@/lib/settings/test-connection";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "settings.test" }, async ({ req, actor }) => {
  const target = new URL(req.url).searchParams.get("target");
  if (target !== "dns" && target !== "proxy") throw new AppError("VALIDATION", "target: must be dns or proxy", { field: "target" });
  return testConnection({ actor, target });
});
