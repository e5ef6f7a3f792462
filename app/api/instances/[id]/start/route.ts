import { apiRoute } from "@/lib/http";
import { startInstance } from "@/lib/deployer/stop-start-instance";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "instance.start", status: 202 }, async ({ actor, params }) => startInstance({ actor, id: params.id }));
