import { apiRoute } from "@/lib/http";
import { removeDomain } from "@/lib/domains/remove-domain";

export const dynamic = "force-dynamic";

export const DELETE = apiRoute({ role: "admin", action: "domain.remove", status: 202 }, async ({ actor, params }) =>
  removeDomain({ actor, instanceId: params.id, domain: params.domain }),
);
