import { apiRoute } from "@/lib/http";
import { listDeployments } from "@/lib/instances/list-deployments";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ params }) => ({ deployments: await listDeployments({ instanceId: params.id }) }));
