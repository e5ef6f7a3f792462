import { AppError } from "@/lib/errors";
import { apiRoute } from "@/lib/http";
import { testConnection } from "@/lib/configuration/test-connection";
import { testStoredRegistry } from "@/lib/configuration/test-registry-login";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "settings.test" }, async ({ req, actor }) => {
  const url = new URL(req.url);
  const target = url.searchParams.get("target");
  if (target === "registry") return testStoredRegistry({ actor, host: url.searchParams.get("host") });
  if (target !== "dns" && target !== "proxy") throw new AppError("VALIDATION", "target: must be dns, proxy or registry", { field: "target" });
  return testConnection({ actor, target });
});
