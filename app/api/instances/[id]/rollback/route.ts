import { apiRoute } from "@/lib/http";
import { rollbackInstance } from "@/lib/deployer/rollback-instance";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "instance.rollback", status: 202 }, async ({ actor, params }) => rollbackInstance({ actor, id: params.id }));
