import { apiRoute } from "@/lib/http";
import { deleteVolume } from "@/lib/deployer/instance-volumes";

export const dynamic = "force-dynamic";

// ?server=<name or id> for a volume on a remote engine; without it, the local server's.
export const DELETE = apiRoute({ role: "admin", action: "volume.delete" }, async ({ req, actor, params }) =>
  deleteVolume({ actor, name: params.name, server: new URL(req.url).searchParams.get("server") ?? undefined }),
);
