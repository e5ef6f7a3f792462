import { jsonError } from "@/lib/http";
import { isAppError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { getTlsRoot } from "@/lib/tls/get-tls-root";

export const dynamic = "force-dynamic";

// No auth: in internal mode this is the root clients are told to trust, as
// public as the certificates it signs. 404 in any other mode.
export async function GET() {
  try {
    const root = await getTlsRoot();
    return new Response(root.pem, {
      headers: { "content-type": "application/x-pem-file", "content-disposition": 'attachment; filename="wharf-root.crt"', "cache-control": "no-store" },
    });
  } catch (err) {
    // Anonymous callers get a generic answer: the detail names the proxy's admin URL and its connection error (issue 21).
    logger.warn({ op: "tls.root", err: err instanceof Error ? err.message : String(err) }, "root certificate not served");
    if (isAppError(err) && err.code === "NOT_FOUND") return jsonError("NOT_FOUND", "No Wharf-managed root certificate is available (only internal TLS mode has one)", 404);
    return jsonError("UNAVAILABLE", "The root certificate cannot be read right now; see the server log", 503);
  }
}
