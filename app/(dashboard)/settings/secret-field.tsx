"use client";
import { TextField } from "@/components/ui/form";

/** Write-only secret input: the stored value is never sent to the browser, only whether one is set. */
export function SecretField({ label, name, isSet, error }: { label: string; name: string; isSet: boolean; error?: string }) {
  return (
    <TextField
      label={label}
      name={name}
      type="password"
      autoComplete="new-password"
      placeholder={isSet ? "•••••••• (set — leave blank to keep)" : "not set"}
      error={error}
      hint={isSet ? "A value is stored. Type a new one to replace it." : undefined}
    />
  );
}
