import { apiRoute } from "@/lib/http";
import { listDnsRecords } from "@/lib/dns/list-records";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, () => listDnsRecords());
