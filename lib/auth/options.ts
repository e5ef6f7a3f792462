import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { defaultAuthTrustHost, liveEnv } from "../env";
import { appSecrets } from "../secrets";
import { LoginError, verifyLogin } from "./verify-login";
import { peerAddress } from "./peer-address";

// next-auth v4 builds its callback URLs from NEXTAUTH_URL, or from the request's
// host when the host is trusted. A self-hosted install is reached under many
// names (localhost, LAN IP, a proxy's domain), so trust the Host header unless
// the operator pinned NEXTAUTH_URL.
defaultAuthTrustHost();

/**
 * The client address for the per-address login throttle: the socket's peer
 * address (stamped by installPeerAddress), or, behind a proxy the operator
 * vouches for (WHARF_TRUST_PROXY=1), the address that proxy saw.
 * X-Forwarded-For is set by whoever sends the request, so it is believed
 * only then. Proxies append the address they saw, so the right-most entry is
 * the one the operator's proxy wrote; entries to its left are whatever the
 * client claimed.
 */
export function clientAddress(headers: Record<string, unknown> | undefined): string | null {
  if (!liveEnv().trustProxy) return peerAddress(headers);
  const fwd = headers?.["x-forwarded-for"];
  const entries = typeof fwd === "string" ? fwd.split(",").map((e) => e.trim()).filter(Boolean) : [];
  const last = entries.at(-1);
  const real = headers?.["x-real-ip"];
  const address = last || (typeof real === "string" ? real.trim() : "");
  return address ? address.slice(0, 64) : peerAddress(headers);
}

export const SESSION_MAX_AGE_S = 7 * 24 * 3600;

export function authOptions(): NextAuthOptions {
  return {
    secret: appSecrets().authSecret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/login", error: "/login" },
    providers: [
      CredentialsProvider({
        name: "Email",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req) {
          try {
            return await verifyLogin({
              email: credentials?.email ?? "",
              password: credentials?.password ?? "",
              address: clientAddress(req?.headers as Record<string, unknown> | undefined),
            });
          } catch (err) {
            // next-auth shows a thrown error's message to the login form.
            if (err instanceof LoginError) throw new Error(err.message);
            throw err;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.uid = user.id;
          token.sv = (user as { sessionVersion?: number }).sessionVersion ?? 0;
        }
        return token;
      },
      session({ session, token }) {
        // Role is not trusted from the token: sessionActor() re-reads the user on
        // every request and ends the session when its version is stale.
        if (session.user) Object.assign(session.user, { id: token.uid as string, sv: (token.sv as number | undefined) ?? 0 });
        return session;
      },
    },
  };
}
