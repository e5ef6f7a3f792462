"use client";
import Link from "next/link";
import { useActionState } from "react";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { setupAction } from "./actions";

export function SetupForm() {
  const [state, action] = useActionState(setupAction, null);
  if (state?.ok) {
    return (
      <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <FormStatus state={state} />
        <Link href="/login" className="text-sm font-medium text-sky-700 underline">Go to sign in</Link>
      </div>
    );
  }
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm" aria-label="Create the first admin">
      <div>
        <h1 className="text-lg font-semibold">Welcome to Wharf</h1>
        <p className="text-sm text-slate-500">Create the first admin account. This page disappears once it exists.</p>
      </div>
      <TextField label="Email" name="email" type="email" required error={fe?.email} autoComplete="username" />
      <TextField label="Name (optional)" name="name" error={fe?.name} />
      <TextField label="Password" name="password" type="password" required error={fe?.password} hint="At least 8 characters" autoComplete="new-password" />
      <TextField label="Confirm password" name="confirm" type="password" required error={fe?.confirm} autoComplete="new-password" />
      <FormStatus state={state} />
      <SubmitButton pendingText="Creating…">Create admin</SubmitButton>
    </form>
  );
}
