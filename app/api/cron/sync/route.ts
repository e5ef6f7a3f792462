import { errorResponse, jsonError } from "@/lib/http";
import { verifyCronSecret } from "@/lib/reconcile/cron-auth";
import { runSync } from "@/lib/reconcile/run-sync";
import { pruneHistoryQuietly } from "@/lib/retention/prune-history";

export const dynamic = "force-dynamic";
export const maxDuration = 300;

// Vercel-style cron (vercel.json): GET with Authorization: Bearer $CRON_SECRET.
export async function GET(req: Request) {
  if (!verifyCronSecret(req.headers.get("authorization"))) return jsonError("UNAUTHORIZED", "Missing or wrong cron secret", 401);
  try {
    const report = await runSync({ trigger: "cron", actor: { kind: "cron", label: "cron", role: "admin" } });
    await pruneHistoryQuietly("cron");
    return Response.json(report);
  } catch (err) {
    return errorResponse(err);
  }
}
