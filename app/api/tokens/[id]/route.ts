import { apiRoute } from "@/lib/http";
import { revokeApiToken } from "@/lib/auth/tokens";

export const dynamic = "force-dynamic";

export const DELETE = apiRoute({ role: "admin", action: "token.revoke" }, async ({ actor, params }) => {
  await revokeApiToken({ actor, id: params.id });
});
