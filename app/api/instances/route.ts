import { apiRoute, readJson } from "@/lib/http";
import { createInstance } from "@/lib/deployer/create-instance";
import { listInstances } from "@/lib/deployer/list-instances";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async () => ({ instances: await listInstances() }));

// 202: the deploy continues in the background; poll GET /api/instances/{id}.
export const POST = apiRoute({ role: "admin", action: "instance.create", status: 202 }, async ({ req, actor }) => createInstance({ actor, body: await readJson(req) }));
