import { apiRoute, readJson } from "@/lib/http";
import { rollbackInstance } from "@/lib/deployer/rollback-instance";

export const dynamic = "force-dynamic";

// POST {deploymentId?}: back to that recorded deployment (default: the previous successful one).
export const POST = apiRoute({ role: "admin", action: "instance.rollback", status: 202 }, async ({ actor, params, req }) =>
  rollbackInstance({ actor, id: params.id, body: await readJson(req) }),
);
