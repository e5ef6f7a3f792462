import { apiRoute } from "@/lib/http";
import { listVolumes } from "@/lib/deployer/instance-volumes";

export const dynamic = "force-dynamic";

// Wharf's named volumes with size (where Docker reports it) and the instance mounting each; instance null = kept.
export const GET = apiRoute({ role: "viewer" }, async () => ({ volumes: await listVolumes() }));
