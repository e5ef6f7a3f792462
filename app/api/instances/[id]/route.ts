import { apiRoute } from "@/lib/http";
import { getInstance } from "@/lib/deployer/get-instance";
import { removeInstance } from "@/lib/deployer/remove-instance";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "viewer" }, async ({ params }) => getInstance(params.id));

export const DELETE = apiRoute({ role: "admin", action: "instance.remove" }, async ({ actor, params }) => removeInstance({ actor, id: params.id }));
