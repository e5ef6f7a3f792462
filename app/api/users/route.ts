import { apiRoute, readJson } from "@/lib/http";
import { createUser, listUsers } from "@/lib/auth/users";

export const dynamic = "force-dynamic";

export const GET = apiRoute({ role: "admin" }, async () => ({ users: await listUsers() }));

export const POST = apiRoute({ role: "admin", action: "user.create", status: 201 }, async ({ req, actor }) => createUser({ actor, body: await readJson(req) }));
