import { apiRoute, readJson } from "@/lib/http";
import { API_DEFAULT_LIMIT } from "@/lib/pagination";
import { createUser, listUsers } from "@/lib/auth/users";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin" }, async ({ req }) => {
  // `users` is `items` under its pre-pagination name, for existing scripts.
  const page = await listUsers({ params: new URL(req.url).searchParams, defaultLimit: API_DEFAULT_LIMIT });
  return { ...page, users: page.items };
});

export const POST = apiRoute({ role: "admin", action: "user.create", status: 201 }, async ({ req, actor }) => createUser({ actor, body: await readJson(req) }));
