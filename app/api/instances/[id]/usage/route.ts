import { apiRoute } from "@/lib/http";
import { getUsage } from "@/lib/instances/get-usage";

export const dynamic = "force-dynamic";

// {samples:[{at, cpuPercent, memoryBytes, memoryLimitBytes, netRx, netTx, blockRead, blockWrite}]}, oldest first.
export const GET = apiRoute({ role: "viewer" }, async ({ req, params }) => getUsage({ instanceId: params.id, since: new URL(req.url).searchParams.get("since") }));
