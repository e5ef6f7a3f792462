import { apiRoute, readJson } from "@/lib/http";
import { setNodeAvailability } from "@/lib/deployer/node-availability";

export const dynamic = "force-dynamic";

export const PATCH = apiRoute({ role: "admin", action: "server.node.update" }, async ({ req, actor, params }) => setNodeAvailability({ actor, id: params.id, nodeId: params.nodeId, body: await readJson(req) }));
