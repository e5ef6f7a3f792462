import { apiRoute } from "@/lib/http";
import { checkInstanceUpdateNow } from "@/lib/updates/check-updates";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ role: "admin", action: "instance.check-update" }, async ({ params }) => checkInstanceUpdateNow({ id: params.id }));
