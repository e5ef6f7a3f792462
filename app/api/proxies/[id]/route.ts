import { apiRoute, readJson } from "@/lib/http";
import { deleteProxy } from "@/lib/standalone-proxies/delete-proxy";
import { getProxy } from "@/lib/standalone-proxies/get-proxy";
import { updateProxy } from "@/lib/standalone-proxies/update-proxy";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ params }) => getProxy({ id: params.id }));

export const PATCH = apiRoute({ role: "admin", action: "proxy.update" }, async ({ req, actor, params }) =>
  updateProxy({ actor, id: params.id, body: await readJson(req) }),
);

export const DELETE = apiRoute({ role: "admin", action: "proxy.delete" }, async ({ actor, params }) => {
  await deleteProxy({ actor, id: params.id });
});
