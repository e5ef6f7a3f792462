import { apiRoute, readJson } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { createProxy } from "@/lib/standalone-proxies/create-proxy";
import { listProxies } from "@/lib/standalone-proxies/list-proxies";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ req }) => {
  // `proxies` is `items` under its pre-pagination name, for existing scripts.
  const page = await listProxies({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT });
  return { ...page, proxies: page.items };
});

export const POST = apiRoute({ role: "admin", action: "proxy.create", status: 201 }, async ({ req, actor }) => createProxy({ actor, body: await readJson(req) }));
