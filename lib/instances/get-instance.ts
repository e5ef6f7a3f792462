import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { clusterOf } from "../servers/cluster";
import { placementOf, serviceName } from "../deployer/service-spec";
import { pinnedNodeProblem } from "../swarm/constraints";
import { serverDirectory } from "../servers/resolve-server";
import { getSettings } from "../settings/get-settings";
import { presentEnv } from "../deployer/env-vars";
import { findInstanceOrThrow } from "../db/find-instance";
import { presentInstance } from "./present-instance";

/** One instance in the API shape, plus its environment (secret values withheld) and rollback target. */
export async function getInstance(id: string) {
  const [row, settings, record] = await Promise.all([findInstanceOrThrow(id), getSettings(), db.dnsRecord.findFirst({ where: { consumerType: "instance", consumerId: id } })]);
  return {
    ...presentInstance(row, settings.baseDomain, record, settings.dns.mode, row.serverId ? (await serverDirectory()).get(row.serverId) : null),
    env: presentEnv(row.env),
    containerId: row.containerId,
    containerName: row.containerName,
    rollback: row.previousContainerId ? { containerName: row.previousContainerName, image: row.previousImage } : null,
    container: await containerState(row.serverId, row.containerId),
    ...(await serviceState(row)),
  };
}

/** The serving container as the engine sees it (OOMKilled shown as such); null when unknown or the engine is unreachable. */
async function containerState(serverId: string | null, id: string | null) {
  if (!id) return null;
  const c = await runtimeFor(serverId).then((rt) => rt.inspectContainer(id)).catch(() => null);
  return c ? { state: c.state, exitCode: c.exitCode, oomKilled: c.oomKilled === true, startedAt: c.startedAt } : null;
}

/**
 * On a Swarm cluster (issue 28): the service's replica count, placement,
 * tasks and the node its volumes are pinned to (with why it cannot run them,
 * when drained or down); an unreachable manager shows none.
 */
async function serviceState(row: { serverId: string | null; name: string; replicas: number; placement: string; pinVolumes: boolean; pinnedNodeId: string | null }) {
  const cluster = await clusterOf(row);
  if (!cluster) return {};
  const [tasks, nodes] = await Promise.all([cluster.swarm.listTasks(serviceName(row.name)).catch(() => null), row.pinnedNodeId ? cluster.swarm.listNodes().catch(() => null) : null]);
  const pinned = row.pinnedNodeId ? nodes?.find((n) => n.id === row.pinnedNodeId) : undefined;
  return {
    replicas: row.replicas,
    placement: placementOf(row),
    pinVolumes: row.pinVolumes,
    pinnedNode: row.pinnedNodeId
      ? {
          id: row.pinnedNodeId,
          hostname: pinned?.hostname ?? null,
          ...(pinned ? { availability: pinned.availability, state: pinned.state } : {}),
          // Unknown (manager unreachable): no verdict.
          problem: nodes ? pinnedNodeProblem(pinned, row.pinnedNodeId) : null,
        }
      : null,
    tasks: tasks?.map((t) => ({ node: t.node, state: t.state, desiredState: t.desiredState, address: t.publishedPort ? `${t.nodeAddress}:${t.publishedPort}` : null, ...(t.error ? { error: t.error } : {}) })) ?? null,
  };
}
