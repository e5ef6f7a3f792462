import { apiRoute } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { listEvents } from "@/lib/audit/list-events";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, ({ req }) => listEvents({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT }));
