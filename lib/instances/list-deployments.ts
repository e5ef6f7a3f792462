import { db } from "../db";
import { canRollBackTo } from "../deployer/rollback-target";
import { findInstanceOrThrow } from "../db/find-instance";

/** Deploy history, newest first, each with its steps. */
export async function listDeployments(opts: { instanceId: string; limit?: number }) {
  const instance = await findInstanceOrThrow(opts.instanceId);
  const rows = await db.deployment.findMany({
    where: { instanceId: opts.instanceId },
    orderBy: { startedAt: "desc" },
    take: Math.min(opts.limit ?? 20, 100),
    include: { steps: { orderBy: { position: "asc" } } },
  });
  // `canRollBackTo`: the history's "Roll back to this" (POST …/rollback {deploymentId}).
  return rows.map(({ spec: _spec, ...d }) => ({ ...d, canRollBackTo: canRollBackTo(instance, d) }));
}
