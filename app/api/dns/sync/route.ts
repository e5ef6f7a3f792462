import { apiRoute } from "@/lib/http";
import { runSync } from "@/lib/reconcile/run-sync";

export const dynamic = "force-dynamic";

// ?dryRun=true shows the plan without applying it; ?force=true allows a large delete.
export const POST = apiRoute({ role: "admin", action: "sync.run" }, async ({ req, actor }) => {
  const q = new URL(req.url).searchParams;
  return runSync({ trigger: "manual", dryRun: q.get("dryRun") === "true", force: q.get("force") === "true", actor });
});
