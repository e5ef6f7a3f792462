import { apiRoute } from "@/lib/http";
import { checkDomain } from "@/lib/domains/check-domain";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "domain.check", status: 202 }, async ({ actor, params }) =>
  checkDomain({ actor, instanceId: params.id, domain: params.domain }),
);
