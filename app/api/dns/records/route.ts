import { apiRoute } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { listDnsRecords } from "@/lib/dns/list-records";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, ({ req }) => listDnsRecords({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT }));
