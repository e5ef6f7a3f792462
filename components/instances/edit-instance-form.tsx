"use client";
import { useActionState } from "react";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { editInstanceAction } from "@/app/(dashboard)/instances/actions";
import { specFormValues } from "@/lib/deployer/spec-form";
import { TlsOptionFields } from "@/components/tls/tls-option-fields";
import { SpecFields } from "./spec-fields";
import { useRefreshAfter, type TInstanceDetail } from "./use-instance";

/** Edit = a redeploy with the new spec through the normal path; the row takes the new values only once the new container serves. */
export function EditInstanceForm({ instance, busy }: { instance: TInstanceDetail; busy: boolean }) {
  const [state, action] = useActionState(editInstanceAction, null);
  useRefreshAfter(state, instance.id);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const typed = state && !state.ok ? state.typed : undefined;
  return (
    <form action={action} className="grid gap-4 sm:grid-cols-2" aria-label="Edit instance">
      <input type="hidden" name="id" value={instance.id} />
      <TextField label="Image" name="image" defaultValue={typed?.image ?? instance.image} error={fe?.image} />
      {/* Keyed on the stored spec: after a successful redeploy the fields show what now runs. */}
      <SpecFields cluster={instance.replicas !== undefined} key={JSON.stringify([instance.mounts, instance.limits, instance.reservations, instance.command, instance.entrypoint, instance.deployStrategy, typed ?? null])} values={specFormValues(instance)} errors={fe} typed={typed} />
      {instance.replicas !== undefined && (
        <>
          <label className="flex items-start gap-2 text-sm sm:col-span-2">
            <input type="checkbox" name="pinVolumes" defaultChecked={instance.pinVolumes !== false} className="mt-1" key={String(instance.pinVolumes)} />
            <span>Pin volumes to one node (off only when the volumes are shared storage every node reaches)</span>
          </label>
          <input type="hidden" name="pinVolumesField" value="1" />
          <TextField
            label="Move the volumes' pin to node (optional)"
            name="pinNode"
            defaultValue={typed?.pinNode ?? ""}
            error={fe?.pinNode}
            hint={`Node id or hostname${instance.pinnedNode ? `; now ${instance.pinnedNode.hostname ?? instance.pinnedNode.id}` : ""}. The data stays on the old node: the new one starts the volumes empty.`}
          />
        </>
      )}
      {/* Keyed on the stored options: after a redeploy the boxes show what the route now carries. */}
      <TlsOptionFields key={JSON.stringify(instance.tlsOptions)} values={instance.tlsOptions} />
      <div className="flex items-center gap-3 sm:col-span-2">
        <SubmitButton disabled={busy} pendingText="Starting…">Save and redeploy</SubmitButton>
        <FormStatus state={state} />
      </div>
    </form>
  );
}
