import { AppError } from "@/lib/errors";
import { apiRoute, readJson } from "@/lib/http";
import { removeOrphanContainer, removeOrphanRoute } from "@/lib/reconcile/remove-orphan";

export const dynamic = "force-dynamic";

// DELETE {kind: "container"|"route", id}: removes one orphan listed by a sync report.
export const DELETE = apiRoute({ role: "admin", action: "orphan.remove" }, async ({ req, actor }) => {
  const body = (await readJson(req)) as { kind?: string; id?: string };
  if (typeof body.id !== "string" || !body.id) throw new AppError("VALIDATION", "id: is required", { field: "id" });
  if (body.kind === "container") await removeOrphanContainer({ actor, id: body.id });
  else if (body.kind === "route") await removeOrphanRoute({ actor, id: body.id });
  else throw new AppError("VALIDATION", "kind: must be container or route", { field: "kind" });
});
