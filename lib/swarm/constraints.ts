// Pure: Swarm's placement constraints evaluated against nodes, as the
// scheduler does (swarmkit manager/constraint), so Wharf can pick the node a
// service's volumes are pinned to among the nodes the service may run on.
import type { NodeInfo } from "./types";

export interface Constraint {
  key: string;
  op: "==" | "!=";
  value: string;
}

const RE = /^\s*([A-Za-z0-9_.-]+)\s*(==|!=)\s*(.+?)\s*$/;

export function parseConstraint(text: string): Constraint | null {
  const m = RE.exec(text);
  return m ? { key: m[1], op: m[2] as Constraint["op"], value: m[3] } : null;
}

/** What a node has for a constraint's key; undefined when the key is not one Swarm knows. */
function attribute(node: NodeInfo, key: string): string | undefined {
  const lower = key.toLowerCase();
  // Label names are case-sensitive; the attribute names and all values are not (swarmkit compares with EqualFold).
  if (lower.startsWith("node.labels.")) return node.labels[key.slice("node.labels.".length)] ?? "";
  if (lower.startsWith("engine.labels.")) return node.engineLabels[key.slice("engine.labels.".length)] ?? "";
  switch (lower) {
    case "node.id":
      return node.id;
    case "node.hostname":
      return node.hostname;
    case "node.role":
      return node.role;
    case "node.ip":
      return node.address;
    case "node.platform.os":
      return node.platform.os;
    case "node.platform.arch":
      return node.platform.arch;
    default:
      return undefined;
  }
}

/** Whether Swarm may place a task on `node` under `constraints` (an unknown key or a malformed constraint never matches). */
export function nodeSatisfies(node: NodeInfo, constraints: string[]): boolean {
  return constraints.every((text) => {
    const c = parseConstraint(text);
    if (!c) return false;
    const have = attribute(node, c.key);
    if (have === undefined) return false;
    const equal = have.toLowerCase() === c.value.toLowerCase();
    return c.op === "==" ? equal : !equal;
  });
}

/** Where a service's volumes live: one node, named by its Swarm id. */
export const pinConstraint = (nodeId: string) => `node.id==${nodeId}`;

/** Whether a node can take new tasks now. */
export const schedulable = (n: NodeInfo) => n.availability === "active" && n.state === "ready";

/**
 * The node to pin a service's volumes to: an active, ready node that
 * satisfies the constraints. A node that already runs one of the service's
 * tasks comes first (its volumes hold the data); then the node running the
 * fewest tasks (pinned services spread over the cluster); then by hostname,
 * so the choice is stable. null when no node qualifies.
 */
export function choosePinNode(o: { nodes: NodeInfo[]; constraints: string[]; taskCounts: Record<string, number>; serviceNodes?: string[] }): NodeInfo | null {
  const own = (n: NodeInfo) => (o.serviceNodes ?? []).filter((id) => id === n.id).length;
  const candidates = o.nodes.filter((n) => schedulable(n) && nodeSatisfies(n, o.constraints));
  candidates.sort((a, b) => own(b) - own(a) || (o.taskCounts[a.id] ?? 0) - (o.taskCounts[b.id] ?? 0) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  return candidates[0] ?? null;
}

/** Why a node cannot run the pinned tasks now, or null when it can. */
export function pinnedNodeProblem(node: NodeInfo | undefined, nodeId: string): string | null {
  if (!node) return `the node the volumes are pinned to (${nodeId}) is no longer in the cluster`;
  if (node.state !== "ready") return `the node the volumes are pinned to (${node.hostname}) is ${node.state}`;
  if (node.availability !== "active") return `the node the volumes are pinned to (${node.hostname}) is set to ${node.availability}`;
  return null;
}
