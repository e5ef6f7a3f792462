import { errorResponse } from "@/lib/http";
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
    return errorResponse(err);
  }
}
