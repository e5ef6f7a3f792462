import { db } from "../db";
import { getRuntime } from "../docker";
import { AppError } from "../errors";
import { getSettings } from "../settings/get-settings";
import { presentEnv } from "./env-vars";
import { presentInstance } from "./list-instances";
import { canRollBackTo } from "./rollback-target";

export async function findInstanceOrThrow(id: string) {
  const row = await db.instance.findUnique({ where: { id } });
  if (!row || row.status === "removed") throw new AppError("NOT_FOUND", `instance ${id} not found`);
  return row;
}

/** One instance in the API shape, plus its environment (secret values withheld) and rollback target. */
export async function getInstance(id: string) {
  const [row, settings, record] = await Promise.all([findInstanceOrThrow(id), getSettings(), db.dnsRecord.findFirst({ where: { consumerType: "instance", consumerId: id } })]);
  return {
    ...presentInstance(row, settings.baseDomain, record, settings.dns.mode),
    env: presentEnv(row.env),
    containerId: row.containerId,
    containerName: row.containerName,
    rollback: row.previousContainerId ? { containerName: row.previousContainerName, image: row.previousImage } : null,
    container: await containerState(row.containerId),
  };
}

/** The serving container as the engine sees it (OOMKilled shown as such); null when unknown or the engine is unreachable. */
async function containerState(id: string | null) {
  if (!id) return null;
  const c = await getRuntime().inspectContainer(id).catch(() => null);
  return c ? { state: c.state, exitCode: c.exitCode, oomKilled: c.oomKilled === true, startedAt: c.startedAt } : null;
}

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
