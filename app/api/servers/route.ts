import { apiRoute, readJson } from "@/lib/http";
import { createServer, listServers } from "@/lib/servers/servers";

export const dynamic = "force-dynamic";

// Admin only, reads included: a server's entry names internal addresses.
export const GET = apiRoute({ role: "admin", action: "server.list" }, async () => ({ items: await listServers() }));

export const POST = apiRoute({ role: "admin", action: "server.create", status: 201 }, async ({ req, actor }) => createServer({ actor, body: await readJson(req) }));
