import { decode, encode } from "next-auth/jwt";
import { appSecrets } from "../secrets";
import { SESSION_MAX_AGE_S } from "./options";

// After a user changes their own password the session version moves on,
// which ends every session of theirs, including the one they are using. This
// re-issues the *current* session's cookie with the new version, so only the
// other sessions end. Cookie names follow next-auth's defaults (the
// `__Secure-` prefix when Wharf is served over HTTPS).

const NAMES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

interface CookieJar {
  get(name: string): { value: string } | undefined;
  set(name: string, value: string, opts: { httpOnly: boolean; sameSite: "lax"; path: string; secure: boolean; maxAge: number }): void;
}

/** Returns false when the request carries no valid session cookie (nothing re-issued). */
export async function reissueSession(jar: CookieJar, opts: { userId: string; sessionVersion: number }): Promise<boolean> {
  const secret = appSecrets().authSecret;
  for (const name of NAMES) {
    const value = jar.get(name)?.value;
    if (!value) continue;
    const token = await decode({ token: value, secret }).catch(() => null);
    if (!token || token.uid !== opts.userId) return false;
    const fresh = await encode({ token: { ...token, sv: opts.sessionVersion }, secret, maxAge: SESSION_MAX_AGE_S });
    jar.set(name, fresh, { httpOnly: true, sameSite: "lax", path: "/", secure: name.startsWith("__Secure-"), maxAge: SESSION_MAX_AGE_S });
    return true;
  }
  return false;
}
