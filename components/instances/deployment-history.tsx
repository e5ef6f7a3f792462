"use client";
import { useActionState } from "react";
import { instanceAction } from "@/app/(dashboard)/instances/actions";
import { Badge } from "@/components/ui/badge";
import { FormStatus, SubmitButton } from "@/components/ui/form";
import { useRefreshAfter } from "./use-instance";
import { formatBytes } from "@/lib/docker/pull-tally";
import type { TDeployment } from "./use-instance";

function duration(a: string, b: string | null): string {
  if (!b) return "…";
  const ms = new Date(b).getTime() - new Date(a).getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function PullBar({ done, total, layers }: { done: number; total: number; layers: string }) {
  const pct = Math.min(100, Math.round((done / total) * 100));
  return (
    <span className="mt-1 flex items-center gap-2" data-testid="pull-progress">
      <progress className="h-2 w-40" max={total} value={done} aria-label={`pull ${pct}%`} />
      <span className="text-slate-500">{pct}% · {formatBytes(done)} of {formatBytes(total)} · {layers}</span>
    </span>
  );
}

/** POST …/rollback {deploymentId}: that deployment's exact image and spec, recreated when its container is gone. */
function RollBackTo({ instanceId, deployment, disabled }: { instanceId: string; deployment: TDeployment; disabled: boolean }) {
  const [state, action] = useActionState(instanceAction, null);
  useRefreshAfter(state, instanceId);
  const confirmSubmit = (e: React.FormEvent<HTMLFormElement>) => {
    if (!confirm(`Roll back to ${deployment.image} (${deployment.digest ?? "local image"}), as deployed on ${new Date(deployment.startedAt).toLocaleString()}? Traffic switches once it is healthy.`)) e.preventDefault();
  };
  return (
    <form action={action} onSubmit={confirmSubmit} className="ml-auto flex items-center gap-2" aria-label={`Roll back to deployment ${deployment.id}`}>
      <input type="hidden" name="id" value={instanceId} />
      <input type="hidden" name="deploymentId" value={deployment.id} />
      <SubmitButton name="op" value="rollback" variant="secondary" disabled={disabled} pendingText="Starting…">Roll back to this</SubmitButton>
      <FormStatus state={state} />
    </form>
  );
}

/** Each deployment with its steps, newest first; the running one updates live. */
export function DeploymentHistory({ deployments, instanceId, canRollBack = false }: { deployments: TDeployment[]; instanceId?: string; canRollBack?: boolean }) {
  if (deployments.length === 0) return <p className="text-sm text-slate-500">No deployments yet.</p>;
  const busy = deployments.some((d) => d.status === "running");
  return (
    <ol className="space-y-4" data-testid="deployments">
      {deployments.map((d) => (
        <li key={d.id} className="rounded-md border border-slate-100 p-3">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <Badge>{d.status}</Badge>
            <span className="font-medium">{d.kind}</span>
            <span className="font-mono text-xs">{d.image}</span>
            <span className="text-xs text-slate-500">{new Date(d.startedAt).toLocaleString()} · {duration(d.startedAt, d.finishedAt)}{d.actor && ` · ${d.actor}`}</span>
            {canRollBack && instanceId && d.canRollBackTo && <RollBackTo instanceId={instanceId} deployment={d} disabled={busy} />}
          </div>
          {d.digest && <p className="mt-1 font-mono text-xs text-slate-500" data-testid="deployment-digest">{d.digest}</p>}
          {d.error && <p className="mt-1 whitespace-pre-wrap text-xs text-rose-700">{d.error}</p>}
          <ul className="mt-2 space-y-1 text-xs" data-testid="deployment-steps">
            {d.steps.map((s) => (
              <li key={s.id} className="grid grid-cols-[6rem_5.5rem_1fr_4rem] gap-2">
                <span className="font-medium">{s.name}</span>
                <span><Badge>{s.status}</Badge></span>
                <span className="whitespace-pre-wrap text-slate-600">
                  {s.message}
                  {s.name === "pull" && s.bytesTotal ? <PullBar done={s.bytesDone ?? 0} total={s.bytesTotal} layers={`${s.layersDone ?? 0}/${s.layersTotal ?? 0} layers`} /> : null}
                </span>
                <span className="text-right text-slate-400">{duration(s.startedAt, s.finishedAt)}</span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}
