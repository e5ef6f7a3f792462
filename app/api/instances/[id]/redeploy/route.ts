import { apiRoute, readJson } from "@/lib/http";
import { redeployInstance } from "@/lib/deployer/redeploy-instance";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "instance.redeploy", status: 202, allowDeployToken: true }, async ({ req, actor, params }) => redeployInstance({ actor, id: params.id, body: await readJson(req) }));
