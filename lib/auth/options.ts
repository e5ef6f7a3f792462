import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { appSecrets } from "../secrets";
import { LoginError, verifyLogin } from "./verify-login";

// next-auth v4 builds its callback URLs from NEXTAUTH_URL, or from the request's
// host when the host is trusted. A self-hosted install is reached under many
// names (localhost, LAN IP, a proxy's domain), so trust the Host header unless
// the operator pinned NEXTAUTH_URL.
process.env.AUTH_TRUST_HOST ??= "true";

/**
 * The client address for the per-address login throttle. X-Forwarded-For is
 * set by whoever sends the request, so it is believed only behind a proxy
 * the operator vouches for (WHARF_TRUST_PROXY=1); otherwise only the
 * per-e-mail throttle applies.
 */
function clientAddress(headers: Record<string, unknown> | undefined): string | null {
  if (!["1", "true"].includes(process.env.WHARF_TRUST_PROXY ?? "")) return null;
  const fwd = headers?.["x-forwarded-for"];
  const first = typeof fwd === "string" ? fwd.split(",")[0].trim() : null;
  const real = headers?.["x-real-ip"];
  return first || (typeof real === "string" ? real : null);
}

export function authOptions(): NextAuthOptions {
  return {
    secret: appSecrets().authSecret,
    session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
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
        if (user) token.uid = user.id;
        return token;
      },
      session({ session, token }) {
        // Role is not trusted from the token: requireActor() re-reads the user on every request.
        if (session.user) (session.user as { id?: string }).id = token.uid as string;
        return session;
      },
    },
  };
}
