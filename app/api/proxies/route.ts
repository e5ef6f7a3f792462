import { apiRoute, readJson } from "@/lib/http";
import { createProxy } from "@/lib/proxies/create-proxy";
import { listProxies } from "@/lib/proxies/list-proxies";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async () => ({ proxies: await listProxies() }));

export const POST = apiRoute({ role: "admin", action: "proxy.create", status: 201 }, async ({ req, actor }) => createProxy({ actor, body: await readJson(req) }));
