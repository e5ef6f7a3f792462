import { apiRoute, readJson } from "@/lib/http";
import { createDeployToken, listDeployTokens } from "@/lib/auth/deploy-tokens";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin" }, async ({ params }) => ({ tokens: await listDeployTokens({ instanceId: params.id }) }));

export const POST = apiRoute({ role: "admin", action: "token.create", status: 201 }, async ({ req, actor, params }) => createDeployToken({ actor, instanceId: params.id, body: await readJson(req) }));
