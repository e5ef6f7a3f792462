import type { TEventInput } from "./emit-event";

/**
 * The notification a finished deployment gives (pure): a failed deploy,
 * redeploy, update or start names the step and the reason; a successful
 * rollback is `deploy.rolled_back`; a successful update is `update.applied`.
 */
export function deploymentEvent(d: { instanceId: string; instanceName: string; kind: string; status: string; error: string | null; image: string; failedStep: string | null }): TEventInput | null {
  const consumer = { type: "instance" as const, id: d.instanceId, name: d.instanceName };
  const path = `/instances/${d.instanceId}`;
  if (d.status === "failed" && d.kind !== "stop" && d.kind !== "remove") {
    const step = d.failedStep ? ` at step ${d.failedStep}` : "";
    return { event: "deploy.failed", consumer, path, message: `${d.instanceName}: ${d.kind} of ${d.image} failed${step}: ${d.error ?? "no reason recorded"}` };
  }
  if (d.status === "succeeded" && d.kind === "rollback") return { event: "deploy.rolled_back", consumer, path, message: `${d.instanceName}: rolled back to ${d.image}` };
  if (d.status === "succeeded" && d.kind === "update") return { event: "update.applied", consumer, path, message: `${d.instanceName}: updated automatically to the newest ${d.image}` };
  return null;
}
