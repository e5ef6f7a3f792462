import { apiRoute } from "@/lib/http";
import { deleteVolume } from "@/lib/deployer/instance-volumes";

export const dynamic = "force-dynamic";

export const DELETE = apiRoute({ role: "admin", action: "volume.delete" }, async ({ actor, params }) => deleteVolume({ actor, name: params.name }));
