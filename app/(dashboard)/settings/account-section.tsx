"use client";
import { useActionState } from "react";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { changeOwnPasswordAction } from "./actions";

export function AccountSection({ email }: { email: string }) {
  const [state, action] = useActionState(changeOwnPasswordAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">Signed in as <span className="font-medium">{email}</span>. Changing your password signs out your other sessions.</p>
      <form action={action} className="grid items-end gap-3 sm:grid-cols-[1fr_1fr_auto]" aria-label="Change password">
        <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" error={fe?.currentPassword} />
        <TextField label="New password" name="password" type="password" autoComplete="new-password" error={fe?.password} />
        <SubmitButton pendingText="Changing…">Change password</SubmitButton>
      </form>
      <FormStatus state={state} />
    </div>
  );
}
