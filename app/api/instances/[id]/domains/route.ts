import { apiRoute, readJson } from "@/lib/http";
import { addDomain } from "@/lib/domains/add-domain";
import { listDomains } from "@/lib/domains/list-domains";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ params }) => listDomains({ instanceId: params.id }));

export const POST = apiRoute({ role: "admin", action: "domain.add", status: 202 }, async ({ req, actor, params }) =>
  addDomain({ actor, instanceId: params.id, body: await readJson(req) }),
);
