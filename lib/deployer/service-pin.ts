import { AppError } from "../errors";
import type { Instance } from "../generated/prisma/client";
import { choosePinNode, nodeSatisfies, pinnedNodeProblem, schedulable } from "../swarm/constraints";
import type { NodeInfo, SwarmRuntime } from "../swarm/types";
import { hasVolumes, serviceName } from "./service-spec";
import type { TRuntimeSpec } from "./spec-schemas";

// Which node a Swarm service's volumes are pinned to (issue 28). A named
// volume (local driver) lives on one node: a task Swarm moved to another node
// would start with an empty one. So a service with volumes runs on one
// chosen node, recorded on the instance (pinnedNodeId) and written as
// `node.id==<node>` into its constraints on every create and update, unless
// the operator says the volumes are shared storage (pinVolumes: false).
// The pin never moves by itself: a drained or downed node leaves the tasks
// pending with Swarm's reason, and only the operator moves it (pinNode on a
// redeploy; the data stays on the old node).

/** What a create or redeploy asked about pinning; absent fields keep the instance's. */
export type TPinChoice = { pinVolumes?: boolean; pinNode?: string };

/** The node named by `pinNode` (id or hostname), checked: it exists, takes tasks and satisfies the placement. */
export async function checkPinNode(swarm: SwarmRuntime, pinNode: string, constraints: string[]): Promise<NodeInfo> {
  const nodes = await swarm.listNodes();
  const node = nodes.find((n) => n.id === pinNode) ?? nodes.find((n) => n.hostname === pinNode);
  if (!node) throw new AppError("VALIDATION", `pinNode: no node ${pinNode} in the cluster (nodes: ${nodes.map((n) => n.hostname).join(", ")})`, { field: "pinNode" });
  if (!schedulable(node)) throw new AppError("VALIDATION", `pinNode: node ${node.hostname} is ${node.state}, ${node.availability}: it cannot run tasks now`, { field: "pinNode" });
  if (!nodeSatisfies(node, constraints)) throw new AppError("VALIDATION", `pinNode: node ${node.hostname} does not satisfy the placement (${constraints.join(", ")})`, { field: "pinNode" });
  return node;
}

/**
 * The node the next service spec pins the volumes to, or null (no volumes,
 * or pinning is off). An explicit `pinNode` wins; then the recorded pin, kept
 * even when its node cannot run tasks (moving it would strand the data);
 * else a node is chosen (constraints.ts: choosePinNode), preferring the one
 * the service's task runs on now.
 */
export async function decidePin(o: { swarm: SwarmRuntime; instance: Pick<Instance, "name" | "pinVolumes" | "pinnedNodeId">; spec: TRuntimeSpec; constraints: string[]; choice?: TPinChoice }): Promise<{ nodeId: string | null; pinVolumes: boolean; chosen?: NodeInfo }> {
  const pinVolumes = o.choice?.pinVolumes ?? o.instance.pinVolumes;
  if (!pinVolumes || !hasVolumes(o.spec)) return { nodeId: null, pinVolumes };
  if (o.choice?.pinNode) {
    const node = await checkPinNode(o.swarm, o.choice.pinNode, o.constraints);
    return { nodeId: node.id, pinVolumes, chosen: node };
  }
  if (o.instance.pinnedNodeId) return { nodeId: o.instance.pinnedNodeId, pinVolumes };
  const [nodes, counts, tasks] = await Promise.all([o.swarm.listNodes(), o.swarm.taskCountsByNode(), o.swarm.listTasks(serviceName(o.instance.name))]);
  const serviceNodes = tasks.filter((t) => t.desiredState === "running" && t.state === "running").map((t) => t.nodeId);
  const node = choosePinNode({ nodes, constraints: o.constraints, taskCounts: counts, serviceNodes });
  if (!node) {
    const field = o.constraints.length ? "placement" : "pinVolumes";
    throw new AppError("VALIDATION", `${field}: no active, ready node${o.constraints.length ? ` satisfies ${o.constraints.join(", ")}` : ""} to pin the volumes to`, { field });
  }
  return { nodeId: node.id, pinVolumes, chosen: node };
}

/** A line for the operator when the pinned node cannot run the tasks (appended to Swarm's own reason), or null. */
export async function pinProblem(swarm: SwarmRuntime, nodeId: string | null): Promise<string | null> {
  if (!nodeId) return null;
  const nodes = await swarm.listNodes().catch(() => null);
  if (!nodes) return null;
  const problem = pinnedNodeProblem(nodes.find((n) => n.id === nodeId), nodeId);
  return problem ? `${problem}; make it active again and redeploy, or redeploy with pinNode to pin another node (the volumes' data stays on the old one)` : null;
}
