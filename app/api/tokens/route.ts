import { apiRoute, readJson } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { createApiToken, listApiTokens } from "@/lib/auth/tokens";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin" }, async ({ req }) => {
  // `tokens` is `items` under its pre-pagination name, for existing scripts.
  const page = await listApiTokens({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT });
  return { ...page, tokens: page.items };
});

export const POST = apiRoute({ role: "admin", action: "token.create", status: 201 }, async ({ req, actor }) => createApiToken({ actor, body: await readJson(req) }));
