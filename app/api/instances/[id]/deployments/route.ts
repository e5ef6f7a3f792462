import { apiRoute } from "@/lib/http";
import { listDeployments } from "@/lib/deployer/get-instance";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ params }) => ({ deployments: await listDeployments({ instanceId: params.id }) }));
