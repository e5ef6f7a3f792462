"use client";
import { useFormStatus } from "react-dom";
import type { ActionResult } from "@/lib/action";
import { buttonClass, inputClass } from "./styles";

export { buttonClass, inputClass };


export function Field({ label, name, error, hint, children }: { label: string; name: string; error?: string; hint?: React.ReactNode; children?: React.ReactNode }) {
  // The <label> holds only its text, so the control's accessible name is exactly `label`.
  return (
    <div className="block text-sm">
      <label className="font-medium text-slate-700" htmlFor={name}>{label}</label>
      {children}
      {hint && !error && <span className="mt-1 block text-xs text-slate-500">{hint}</span>}
      {error && (
        <span className="mt-1 block text-xs text-rose-600" role="alert" data-field-error={name}>
          {error}
        </span>
      )}
    </div>
  );
}

export function TextField(props: { label: string; name: string; defaultValue?: string | number | null; type?: string; placeholder?: string; error?: string; hint?: React.ReactNode; required?: boolean; disabled?: boolean; autoComplete?: string }) {
  const { label, name, error, hint, defaultValue, ...rest } = props;
  return (
    <Field label={label} name={name} error={error} hint={hint}>
      <input id={name} name={name} defaultValue={defaultValue ?? undefined} className={inputClass} aria-invalid={!!error} {...rest} />
    </Field>
  );
}

export function SubmitButton({ children, pendingText, variant = "primary", disabled, name, value }: { children: React.ReactNode; pendingText?: string; variant?: "primary" | "secondary" | "danger"; disabled?: boolean; name?: string; value?: string }) {
  const { pending } = useFormStatus();
  return (
    <button type="submit" name={name} value={value} disabled={pending || disabled} className={buttonClass(variant)} aria-busy={pending}>
      {pending ? (pendingText ?? "Working…") : children}
    </button>
  );
}


/** The visible outcome of a server action: success text or the error. */
export function FormStatus({ state }: { state: ActionResult | null }) {
  if (!state) return null;
  if (state.ok) return <p role="status" className="text-sm text-emerald-700">{state.message ?? "Saved."}</p>;
  return <p role="alert" className="text-sm text-rose-700">{state.error}</p>;
}
