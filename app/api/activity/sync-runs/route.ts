import { apiRoute } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { listSyncRuns } from "@/lib/reconcile/list-runs";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, ({ req }) => listSyncRuns({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT }));
