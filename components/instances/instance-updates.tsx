"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { startTransition, useActionState, useEffect, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { checkUpdateAction, createDeployTokenAction, revokeDeployTokenAction, setAutoUpdateAction } from "@/app/(dashboard)/instances/update-actions";
import type { TInstanceDetail } from "./use-instance";

const short = (d: string | null | undefined) => (d ? d.replace(/^sha256:/, "sha256:").slice(0, 19) : "—");

/** Digest running, "update available", the auto-update switch and "Check now". */
export function InstanceUpdates({ instance, canEdit }: { instance: TInstanceDetail; canEdit: boolean }) {
  const qc = useQueryClient();
  const [checked, check] = useActionState(checkUpdateAction, null);
  const [toggled, toggle] = useActionState(setAutoUpdateAction, null);
  useEffect(() => {
    if (checked || toggled) void qc.invalidateQueries({ queryKey: ["instance", instance.id] });
  }, [checked, toggled, qc, instance.id]);
  // Controlled, and sent without a form submission: React resets a form after its action, which put
  // the box back to the stale server value until the refetch arrived (and Playwright saw the click undone).
  const [auto, setAuto] = useState(instance.autoUpdate);
  useEffect(() => setAuto(instance.autoUpdate), [instance.autoUpdate]);
  // A refused change puts the box back to what the server holds.
  useEffect(() => {
    if (toggled && !toggled.ok) setAuto(instance.autoUpdate);
  }, [toggled, instance.autoUpdate]);
  const setAutoUpdate = (on: boolean) => {
    setAuto(on);
    const form = new FormData();
    form.set("id", instance.id);
    if (on) form.set("autoUpdate", "on");
    startTransition(() => toggle(form));
  };
  const u = instance.update;
  return (
    <div className="space-y-3 text-sm" data-testid="instance-updates">
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-slate-500">Digest</span>
        <code className="font-mono text-xs" title={instance.digest ?? ""} data-testid="instance-digest">{instance.digest ?? "— (local image)"}</code>
        {instance.updateAvailable && <Badge>update available</Badge>}
      </div>
      {instance.updateAvailable && u.latestDigest && <p className="text-xs text-slate-600">The tag now points at <code className="font-mono">{short(u.latestDigest)}…</code></p>}
      {u.warning && <p className="text-xs text-amber-700" role="status">{u.warning}</p>}
      {u.checkedAt && <p className="text-xs text-slate-500">Last checked {new Date(u.checkedAt).toLocaleString()}</p>}
      {canEdit && (
        <div className="flex flex-wrap items-center gap-3">
          <div className="flex items-center gap-2" role="group" aria-label="Auto-update">
            <label className="flex items-center gap-2">
              <input type="checkbox" name="autoUpdate" checked={auto} onChange={(e) => setAutoUpdate(e.currentTarget.checked)} />
              Auto-update (redeploy when the tag moves)
            </label>
          </div>
          <form action={check} aria-label="Check for update">
            <input type="hidden" name="id" value={instance.id} />
            <SubmitButton variant="secondary" pendingText="Checking…">Check now</SubmitButton>
          </form>
        </div>
      )}
      <FormStatus state={toggled} />
      {checked && !checked.ok && <FormStatus state={checked} />}
      {checked?.ok && <p className="text-xs text-slate-600" data-testid="update-check-result">{describe(checked.data)}</p>}
    </div>
  );
}

function describe(r: { outcome: string; reason?: string; warning?: string; latestDigest?: string }): string {
  switch (r.outcome) {
    case "current": return "Up to date.";
    case "available": return `Update available: ${short(r.latestDigest)}…`;
    case "deployed": return `Auto-update started to ${short(r.latestDigest)}…`;
    case "skipped": return `Not checked: ${r.reason}.`;
    default: return r.warning ?? r.outcome;
  }
}

type DeployToken = { id: string; name: string; prefix: string; createdBy: string | null; lastUsedAt: string | null; createdAt: string };

/** Per-instance deploy tokens for CI: created (shown once), listed, revoked. */
export function DeployTokens({ instanceId }: { instanceId: string }) {
  const qc = useQueryClient();
  const { data: tokens } = useQuery({
    queryKey: ["deploy-tokens", instanceId],
    queryFn: async () => ((await (await fetch(`/api/instances/${instanceId}/tokens`, { cache: "no-store" })).json()) as { tokens: DeployToken[] }).tokens,
  });
  const [created, create] = useActionState(createDeployTokenAction, null);
  const [revoked, revoke] = useActionState(revokeDeployTokenAction, null);
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: ["deploy-tokens", instanceId] });
  }, [created, revoked, qc, instanceId]);
  return (
    <div className="space-y-3 text-sm">
      <p className="text-slate-600">
        A deploy token may only call <code className="font-mono">POST /api/instances/{instanceId}/redeploy</code>; any other request with it gets 403.
      </p>
      <form action={create} className="grid items-end gap-3 sm:grid-cols-[1fr_auto]" aria-label="Create deploy token">
        <input type="hidden" name="id" value={instanceId} />
        <TextField label="Deploy token name" name="name" placeholder="github-actions" error={created && !created.ok ? created.fieldErrors?.name : undefined} />
        <SubmitButton pendingText="Creating…">Create deploy token</SubmitButton>
      </form>
      <FormStatus state={created} />
      {created?.ok && (
        <div className="rounded-md border border-emerald-200 bg-emerald-50 p-3">
          <p className="font-medium">Deploy token “{created.data.name}” (shown once):</p>
          <code data-testid="new-deploy-token" className="mt-1 block break-all font-mono">{created.data.token}</code>
        </div>
      )}
      <FormStatus state={revoked} />
      {(tokens ?? []).length === 0 ? (
        <p className="text-slate-500">No deploy tokens.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="deploy-tokens">
          {(tokens ?? []).map((t) => (
            <li key={t.id} className="flex items-center justify-between gap-2 py-2">
              <span>{t.name} <span className="font-mono text-xs text-slate-500">{t.prefix}…</span> <span className="text-xs text-slate-500">last used {t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "never"}</span></span>
              <form action={revoke} onSubmit={(e) => { if (!confirm("Revoke this deploy token?")) e.preventDefault(); }}>
                <input type="hidden" name="tokenId" value={t.id} />
                <SubmitButton variant="danger" pendingText="Revoking…">Revoke</SubmitButton>
              </form>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
