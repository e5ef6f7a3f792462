import { apiRoute, parseFlag } from "@/lib/http";
import { getInstance } from "@/lib/instances/get-instance";
import { removeInstance } from "@/lib/deployer/remove-instance";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ params }) => getInstance(params.id));

// ?deleteVolumes=true also deletes the instance's named volumes; without it they are kept (GET /api/volumes).
export const DELETE = apiRoute({ role: "admin", action: "instance.remove" }, async ({ req, actor, params }) =>
  removeInstance({ actor, id: params.id, deleteVolumes: parseFlag(new URL(req.url).searchParams.get("deleteVolumes"), "deleteVolumes") }),
);
