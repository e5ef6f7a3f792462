import { AppError } from "./errors";

/**
 * fetch for clients that carry a secret (an API key, a password, a token):
 * redirects are never followed. fetch drops only `Authorization` on a
 * cross-origin redirect; PowerDNS's `X-API-Key` would travel on to wherever
 * the answer points (issue 21). A 3xx is refused with an error naming where
 * it pointed, so the operator can fix the configured URL.
 */
export async function fetchNoRedirect(input: string | URL | Request, init: RequestInit | undefined, provider: string, send: typeof fetch = fetch): Promise<Response> {
  const res = await send(input, { ...init, redirect: "manual" });
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get("location");
    let where = "elsewhere";
    try {
      if (location) where = new URL(location, typeof input === "string" || input instanceof URL ? input : input.url).origin;
    } catch {
      /* an unparsable Location stays "elsewhere" */
    }
    await res.body?.cancel().catch(() => undefined);
    throw new AppError("PROVIDER_ERROR", `${provider} answered a redirect (${res.status}) to ${where}: redirects are not followed with credentials; set the URL of the API itself`, {
      details: { status: res.status },
    });
  }
  return res;
}
