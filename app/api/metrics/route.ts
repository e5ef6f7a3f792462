import { errorResponse } from "@/lib/http";
import { authorizeMetrics } from "@/lib/auth/metrics-access";
import { collectMetrics } from "@/lib/metrics/collect-metrics";

export const dynamic = "force-dynamic";

/** Prometheus text format (SPEC §17); also served at /metrics (next.config.ts rewrite). */
export async function GET(req: Request): Promise<Response> {
  try {
    await authorizeMetrics(req);
    const { contentType, body } = await collectMetrics();
    return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
  } catch (err) {
    const res = errorResponse(err);
    if (res.status === 401) res.headers.set("www-authenticate", 'Bearer realm="wharf-metrics"');
    return res;
  }
}
