import { apiRoute, readJson } from "@/lib/http";
import { deleteServer, getServer, updateServer } from "@/lib/servers/servers";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin", action: "server.get" }, async ({ params }) => getServer(params.id));

export const PATCH = apiRoute({ role: "admin", action: "server.update" }, async ({ req, actor, params }) => updateServer({ actor, id: params.id, body: await readJson(req) }));

export const DELETE = apiRoute({ role: "admin", action: "server.delete" }, async ({ actor, params }) => {
  await deleteServer({ actor, id: params.id });
});
