import { apiRoute } from "@/lib/http";
import { parseTail, streamInstanceLogs } from "@/lib/instances/instance-logs";

export const dynamic = "force-dynamic";

// text/plain, one log line per line; ?follow=1 keeps streaming until the client goes away.
export const GET = apiRoute({ role: "admin", action: "instance.logs" }, async ({ req, params }) => {
  const url = new URL(req.url);
  const stream = await streamInstanceLogs({
    id: params.id,
    follow: url.searchParams.get("follow") === "1",
    tail: parseTail(url.searchParams.get("tail")),
    signal: req.signal,
  });
  return new Response(stream, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" } });
});
