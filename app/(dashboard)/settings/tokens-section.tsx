"use client";
import { useActionState } from "react";
import { FormStatus, SubmitButton, TextField, Field, inputClass } from "@/components/ui/form";
import { createTokenAction, revokeTokenAction } from "./actions";

type Token = { id: string; name: string; role: string; effectiveRole: string; prefix: string; createdBy: string | null; createdAt: string; lastUsedAt: string | null; expiresAt: string | null; expired: boolean };

function RevokeButton({ id }: { id: string }) {
  const [state, action] = useActionState(revokeTokenAction, null);
  return (
    <form action={action} onSubmit={(e) => { if (!confirm("Revoke this token? Scripts using it stop working.")) e.preventDefault(); }} className="flex items-center gap-2">
      <input type="hidden" name="id" value={id} />
      <SubmitButton variant="danger" pendingText="Revoking…">Revoke</SubmitButton>
      {state && !state.ok && <FormStatus state={state} />}
    </form>
  );
}

export function TokensSection({ tokens }: { tokens: Token[] }) {
  const [state, action] = useActionState(createTokenAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <div className="space-y-4">
      <form action={action} className="grid items-end gap-3 sm:grid-cols-[1fr_10rem_10rem_auto]" aria-label="Create API token">
        <TextField label="Token name" name="name" error={fe?.name} placeholder="ci-deploy" />
        <Field label="Role" name="role" error={fe?.role}>
          <select id="role" name="role" className={inputClass} defaultValue="viewer">
            <option value="viewer">viewer</option>
            <option value="admin">admin</option>
            <option value="metrics">metrics (GET /metrics only)</option>
          </select>
        </Field>
        <TextField label="Expires in (days)" name="expiresInDays" type="number" error={fe?.expiresInDays} placeholder="never" />
        <SubmitButton pendingText="Creating…">Create token</SubmitButton>
      </form>
      <FormStatus state={state} />
      {state?.ok && state.data && (
        <div className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm">
          <p className="font-medium">Token “{(state.data as { name: string }).name}” (shown once):</p>
          <code data-testid="new-token" className="mt-1 block break-all font-mono">{(state.data as { token: string }).token}</code>
        </div>
      )}
      {tokens.length === 0 ? (
        <p className="text-sm text-slate-500">No API tokens yet.</p>
      ) : (
        <table className="w-full text-left text-sm">
          <thead className="text-xs uppercase text-slate-500">
            <tr><th className="py-1">Name</th><th>Role</th><th>Prefix</th><th>Owner</th><th>Last used</th><th>Expires</th><th /></tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} className="border-t border-slate-100">
                <td className="py-2">{t.name}</td>
                <td>{t.role}{t.effectiveRole !== t.role && <span className="ml-1 text-xs text-amber-700" title="capped at its owner's current role">(acts as {t.effectiveRole})</span>}</td>
                <td className="font-mono">{t.prefix}…</td>
                <td>{t.createdBy ?? "—"}</td>
                <td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "never"}</td>
                <td>{t.expiresAt ? <span className={t.expired ? "text-rose-700" : undefined}>{t.expired ? "expired " : ""}{new Date(t.expiresAt).toLocaleString()}</span> : "never"}</td>
                <td className="text-right"><RevokeButton id={t.id} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
