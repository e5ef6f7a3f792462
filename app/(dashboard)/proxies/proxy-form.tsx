"use client";
import { useActionState } from "react";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { createProxyAction, updateProxyAction, type ProxyFormState, type ProxyFormValues } from "./actions";

const EMPTY: ProxyFormValues = { domain: "", upstream: "", websockets: false, forceTls: false };

function Checkbox({ label, name, defaultChecked, error, hint }: { label: string; name: string; defaultChecked: boolean; error?: string; hint: string }) {
  return (
    <div className="text-sm">
      <label className="flex items-center gap-2 font-medium text-slate-700" htmlFor={name}>
        <input id={name} name={name} type="checkbox" defaultChecked={defaultChecked} aria-invalid={!!error} aria-describedby={`${name}-help`} className="h-4 w-4" />
        {label}
      </label>
      {error ? (
        <span id={`${name}-help`} className="mt-1 block text-xs text-rose-600" role="alert" data-field-error={name}>
          {error}
        </span>
      ) : (
        <span id={`${name}-help`} className="mt-1 block text-xs text-slate-500">
          {hint}
        </span>
      )}
    </div>
  );
}

/** The four inputs of a proxy, shared by the create and edit forms; names match the API fields. */
function ProxyFields({ values, state }: { values: ProxyFormValues; state: ProxyFormState }) {
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <>
      <TextField label="Domain" name="domain" defaultValue={values.domain} placeholder="app.example.com" error={fe?.domain} hint="The host name the proxy answers for" required />
      <TextField
        label="Upstream URL"
        name="upstream"
        defaultValue={values.upstream}
        placeholder="http://192.0.2.10:8080"
        error={fe?.upstream}
        hint="http(s)://host:port, no path; the port defaults to 80 or 443"
        required
      />
      <Checkbox label="WebSockets" name="websockets" defaultChecked={values.websockets} error={fe?.websockets} hint="Pass WebSocket upgrades through (Caddy always does)" />
      <Checkbox
        label="Force TLS"
        name="forceTls"
        defaultChecked={values.forceTls}
        error={fe?.forceTls}
        hint="Redirect HTTP to HTTPS: Caddy needs automatic HTTPS on its server, NPM a certificate on the host"
      />
    </>
  );
}

export function CreateProxyForm() {
  const [state, action] = useActionState(createProxyAction, null);
  // After a refusal the form shows what was submitted; after a success it is empty again.
  const values = state && !state.ok && state.values ? state.values : EMPTY;
  return (
    <form action={action} className="grid items-start gap-4 sm:grid-cols-2" aria-label="Create proxy">
      <ProxyFields values={values} state={state} />
      <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
        <SubmitButton pendingText="Creating…">Create proxy</SubmitButton>
        <FormStatus state={state} />
      </div>
    </form>
  );
}

export function EditProxyForm({ id, initial }: { id: string; initial: ProxyFormValues }) {
  const [state, action] = useActionState(updateProxyAction, null);
  const values = state?.values ?? initial;
  return (
    <form action={action} className="grid items-start gap-4 sm:grid-cols-2" aria-label="Edit proxy">
      <input type="hidden" name="id" value={id} />
      <ProxyFields values={values} state={state} />
      <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
        <SubmitButton pendingText="Saving…">Save changes</SubmitButton>
        <FormStatus state={state} />
      </div>
    </form>
  );
}
