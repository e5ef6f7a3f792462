import { apiRoute } from "@/lib/http";
import { cancelDeployment } from "@/lib/deployer/cancel-deployment";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "instance.cancel" }, async ({ actor, params }) => cancelDeployment({ actor, id: params.id }));
