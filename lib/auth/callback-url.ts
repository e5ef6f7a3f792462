// After sign-in the browser goes to `callbackUrl`, which anyone can put in a
// link: follow it only when it stays on Wharf's origin. Browsers read `\` as
// `/` in URLs, so `/\evil.test` is `//evil.test`, a different host.
const PROBE = "http://wharf.invalid";

/** A same-origin path (with query and hash) for `raw`, or "/" when it could lead anywhere else. */
export function safeCallbackPath(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//")) return "/";
  // Backslashes (also percent-encoded) and control characters have no business in Wharf's paths.
  if (/[\\\u0000-\u001f\u007f]|%5c|%2f%2f/i.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, PROBE);
  } catch {
    return "/";
  }
  if (url.origin !== PROBE) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
