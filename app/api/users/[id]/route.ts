import { cookies } from "next/headers";
import { apiRoute, readJson } from "@/lib/http";
import { deleteUser, updateUser } from "@/lib/auth/users";
import { reissueSession } from "@/lib/auth/reissue-session";

export const dynamic = "force-dynamic";

// PATCH {role?, password?, currentPassword?}: the UI's rules (last admin
// protected; your own password needs the current one). A password or role
// change ends the user's other sessions; the caller's own stays signed in.
export const PATCH = apiRoute({ role: "viewer", action: "user.update" }, async ({ req, actor, params }) => {
  const user = await updateUser({ actor, id: params.id, body: await readJson(req) });
  if (actor.kind === "user" && actor.id === user.id) await reissueSession(await cookies(), { userId: user.id, sessionVersion: user.sessionVersion });
  return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt };
});

export const DELETE = apiRoute({ role: "admin", action: "user.delete" }, async ({ actor, params }) => {
  await deleteUser({ actor, id: params.id });
});
