import { apiRoute } from "@/lib/http";
import { listVolumes } from "@/lib/deployer/instance-volumes";

export const dynamic = "force-dynamic";

// Wharf's named volumes on every engine server, with size (where Docker reports it) and the instance mounting each;
// instance null = kept. `unavailable` names the servers that did not answer (their volumes are missing from the list).
export const GET = apiRoute({ role: "viewer" }, async () => listVolumes());
