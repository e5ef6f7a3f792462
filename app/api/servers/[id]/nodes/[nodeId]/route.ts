import { apiRoute, readJson } from "@/lib/http";
import { updateNode } from "@/lib/servers/servers";

export const dynamic = "force-dynamic";

export const PATCH = apiRoute({ role: "admin", action: "server.node.update" }, async ({ req, actor, params }) => updateNode({ actor, id: params.id, nodeId: params.nodeId, body: await readJson(req) }));
