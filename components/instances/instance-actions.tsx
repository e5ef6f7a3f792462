"use client";
import { useActionState } from "react";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { instanceAction } from "@/app/(dashboard)/instances/actions";
import { useRefreshAfter, type TInstanceDetail } from "./use-instance";

const CONFIRM: Record<string, string> = {
  rollback: "Switch traffic back to the previous container?",
  stop: "Stop this instance? Its address stops answering.",
  remove: "Remove this instance, its route, its DNS record and its containers? Its volumes are kept unless you ticked \"also delete its volumes\".",
  cancel: "Cancel the running deployment? What it created is removed.",
};

function OpButton({ id, op, label, variant = "secondary" }: { id: string; op: string; label: string; variant?: "primary" | "secondary" | "danger" }) {
  return (
    <>
      <input type="hidden" name="id" value={id} />
      <SubmitButton name="op" value={op} variant={variant} pendingText="Working…">{label}</SubmitButton>
    </>
  );
}

/** Redeploy, rollback, stop/start, cancel and remove, each behind a confirmation, with visible pending/success/error. */
export function InstanceActions({ instance }: { instance: TInstanceDetail }) {
  const [state, action] = useActionState(instanceAction, null);
  useRefreshAfter(state, instance.id);
  const confirmSubmit = (e: React.FormEvent<HTMLFormElement>) => {
    const op = ((e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null)?.value ?? "";
    if (CONFIRM[op] && !confirm(CONFIRM[op])) e.preventDefault();
  };
  const s = instance.status;
  const busy = ["deploying", "redeploying", "rolling_back", "stopping", "starting", "removing"].includes(s);
  return (
    <div className="space-y-4">
      <form action={action} className="space-y-2" aria-label="Redeploy">
        <input type="hidden" name="id" value={instance.id} />
        <TextField label="Image to deploy" name="image" defaultValue={instance.image} />
        <SubmitButton name="op" value="redeploy" disabled={busy} pendingText="Starting…">Redeploy</SubmitButton>
      </form>
      {instance.replicas !== undefined && (
        // A Swarm service scales without a redeploy (issue 28): Swarm adds or stops tasks, the route follows.
        <form key={instance.replicas} action={action} className="flex items-end gap-2" aria-label="Scale">
          <input type="hidden" name="id" value={instance.id} />
          <TextField label="Replicas" name="replicas" type="number" defaultValue={instance.replicas} error={state && !state.ok ? state.fieldErrors?.replicas : undefined} />
          <SubmitButton name="op" value="scale" variant="secondary" disabled={busy || s !== "running"} pendingText="Starting…">Scale</SubmitButton>
        </form>
      )}
      <form action={action} onSubmit={confirmSubmit} className="flex flex-wrap gap-2" aria-label="Instance actions">
        {instance.rollback && !busy && <OpButton id={instance.id} op="rollback" label="Roll back" />}
        {s === "running" && <OpButton id={instance.id} op="stop" label="Stop" />}
        {(s === "stopped" || s === "failed") && instance.containerId && <OpButton id={instance.id} op="start" label="Start" />}
        {(s === "deploying" || s === "redeploying") && <OpButton id={instance.id} op="cancel" label="Cancel deploy" variant="danger" />}
        {!busy && <OpButton id={instance.id} op="remove" label="Remove" variant="danger" />}
        {!busy && instance.mounts.some((m) => m.type === "volume") && (
          <label className="flex w-full items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" name="deleteVolumes" /> also delete its volumes (their data is lost)
          </label>
        )}
      </form>
      <FormStatus state={state} />
    </div>
  );
}
