"use client";
import { useActionState } from "react";
import { FormStatus, SubmitButton } from "@/components/ui/form";
import { removeOrphanAction } from "@/app/(dashboard)/actions";

type Orphans = { containers: { id: string; name: string; instanceId: string | null; state: string }[]; routes: { id: string; hosts: string[] }[]; errors: string[] };

function RemoveButton({ kind, id, label }: { kind: "container" | "route"; id: string; label: string }) {
  const [state, action] = useActionState(removeOrphanAction, null);
  return (
    <form action={action} onSubmit={(e) => { if (!confirm(`Remove ${label}? Wharf created it, but nothing in Wharf uses it any more.`)) e.preventDefault(); }} className="flex items-center gap-2">
      <input type="hidden" name="kind" value={kind} />
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingText="Removing…">Remove</SubmitButton>
      <FormStatus state={state && !state.ok ? state : null} />
    </form>
  );
}

/** Wharf-labelled containers and wharf- routes that no row claims (SPEC §9): listed, removed only on request. */
export function OrphansCard({ orphans, canEdit }: { orphans: Orphans; canEdit: boolean }) {
  const none = orphans.containers.length === 0 && orphans.routes.length === 0;
  return (
    <div data-testid="orphans" className="space-y-2 text-sm">
      {orphans.errors.map((e) => <p key={e} className="text-amber-700">{e}</p>)}
      {none && orphans.errors.length === 0 && <p className="text-slate-500">No orphans: every Wharf container and route belongs to an instance or proxy.</p>}
      <ul className="divide-y divide-slate-100">
        {orphans.containers.map((c) => (
          <li key={c.id} className="flex items-center justify-between gap-4 py-2">
            <span>Container <span className="font-mono text-xs">{c.name}</span> ({c.state}){c.instanceId && <span className="text-slate-500"> · instance {c.instanceId} is gone</span>}</span>
            {canEdit && <RemoveButton kind="container" id={c.id} label={`container ${c.name}`} />}
          </li>
        ))}
        {orphans.routes.map((r) => (
          <li key={r.id} className="flex items-center justify-between gap-4 py-2">
            <span>Route <span className="font-mono text-xs">{r.id}</span> for {r.hosts.join(", ")}</span>
            {canEdit && <RemoveButton kind="route" id={r.id} label={`route ${r.id}`} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
