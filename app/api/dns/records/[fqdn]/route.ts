import { apiRoute } from "@/lib/http";
import { deleteDnsRecord } from "@/lib/dns/delete-record";

export const dynamic = "force-dynamic";

export const DELETE = apiRoute({ role: "admin", action: "dns.delete" }, async ({ actor, params }) => {
  await deleteDnsRecord({ actor, fqdn: params.fqdn ?? "" });
});
