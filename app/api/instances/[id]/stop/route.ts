import { apiRoute } from "@/lib/http";
import { stopInstance } from "@/lib/deployer/stop-start-instance";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "instance.stop" }, async ({ actor, params }) => stopInstance({ actor, id: params.id }));
