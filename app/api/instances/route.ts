import { apiRoute, readJson } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { createInstance } from "@/lib/deployer/create-instance";
import { listInstances } from "@/lib/instances/list-instances";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ req }) => {
  // `instances` is `items` under its pre-pagination name, for existing scripts.
  const page = await listInstances({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT });
  return { ...page, instances: page.items };
});

// 202: the deploy continues in the background; poll GET /api/instances/{id}.
export const POST = apiRoute({ role: "admin", action: "instance.create", status: 202 }, async ({ req, actor }) => createInstance({ actor, body: await readJson(req) }));
