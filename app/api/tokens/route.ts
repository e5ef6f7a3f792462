import { apiRoute, readJson } from "@/lib/http";
import { createApiToken, listApiTokens } from "@/lib/auth/tokens";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin" }, async () => ({ tokens: await listApiTokens() }));

export const POST = apiRoute({ role: "admin", action: "token.create", status: 201 }, async ({ req, actor }) => createApiToken({ actor, body: await readJson(req) }));
