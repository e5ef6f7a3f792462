import { getHealth } from "@/lib/health/get-health";
import { requestActor } from "@/lib/auth/actor";

export const dynamic = "force-dynamic";

// No auth needed (load balancers, Docker HEALTHCHECK): 200 while the database
// answers, 503 otherwise. Error details can name internal hosts, so only a
// signed-in caller gets `messages`.
export async function GET(req: Request) {
  const h = await getHealth();
  const actor = h.db === "ok" ? await requestActor(req).catch(() => null) : null;
  const { messages, ...body } = h;
  return Response.json(actor ? { ...body, messages } : body, { status: h.db === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
