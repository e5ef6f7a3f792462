import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { refuseCrossSite } from "@/lib/http";

export const dynamic = "force-dynamic";

const handler = (req: Request, ctx: unknown) => NextAuth(authOptions())(req, ctx);

// next-auth's double-submit CSRF token guards sign-in and sign-out, but a
// sibling subdomain can toss its own csrf cookie onto the parent domain over
// plain HTTP (no __Host- prefix there): check the origin as well, so no other
// site can sign a browser in or out (login CSRF).
async function post(req: Request, ctx: unknown): Promise<Response> {
  return (await refuseCrossSite(req, null, "auth")) ?? handler(req, ctx);
}

export { handler as GET, post as POST };
