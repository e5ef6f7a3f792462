import { apiRoute } from "@/lib/http";
import { testServer } from "@/lib/servers/test-server";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "server.test" }, async ({ actor, params }) => testServer({ actor, id: params.id }));
