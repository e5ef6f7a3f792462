"use client";
import { useActionState, useState } from "react";
import { Field, FormStatus, SubmitButton, TextField, inputClass } from "@/components/ui/form";
import type { TPublicSettings } from "@/lib/settings/public-settings";
import { saveProxyAction } from "./actions";
import { ConnectionTest } from "./connection-test";
import { SecretField } from "./secret-field";

export function ProxyForm({ settings, readOnly }: { settings: TPublicSettings; readOnly: boolean }) {
  const [state, action] = useActionState(saveProxyAction, null);
  const current = settings.proxy.provider as Record<string, unknown> | null;
  const [type, setType] = useState<string>((current?.type as string) ?? "");
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const same = current?.type === type;
  // After a refused save, show what was typed rather than the stored values.
  const typed = state && !state.ok ? state.typed : undefined;
  const val = (k: string) => typed?.[`proxy.provider.${k}`] ?? (same ? ((current?.[k] as string) ?? "") : "");
  return (
    <form id="proxy-form" action={action} className="space-y-4" aria-label="Proxy settings">
      <fieldset disabled={readOnly} className="space-y-4">
        {!type && <p className="text-sm text-slate-500">No proxy provider: instances still run, their route shows “not configured”.</p>}
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Proxy provider" name="proxy.provider.type" error={fe?.["proxy.provider.type"]}>
            <select id="proxy.provider.type" name="proxy.provider.type" value={type} onChange={(e) => setType(e.target.value)} className={inputClass}>
              <option value="">None</option>
              <option value="caddy">Caddy (admin API)</option>
              <option value="npm">Nginx Proxy Manager</option>
            </select>
          </Field>
          {type === "caddy" && (
            <>
              <TextField label="Admin API URL" name="proxy.provider.adminUrl" defaultValue={val("adminUrl")} placeholder="http://127.0.0.1:2019" error={fe?.["proxy.provider.adminUrl"]} />
              <TextField label="HTTP server name" name="proxy.provider.server" defaultValue={val("server") || "wharf"} error={fe?.["proxy.provider.server"]} />
            </>
          )}
          {type === "npm" && (
            <>
              <TextField label="URL" name="proxy.provider.url" defaultValue={val("url")} placeholder="http://npm.lan:81" error={fe?.["proxy.provider.url"]} />
              <TextField label="Email" name="proxy.provider.email" defaultValue={val("email")} error={fe?.["proxy.provider.email"]} />
              <SecretField label="Password" name="proxy.provider.password" isSet={same && current?.passwordSet === true} error={fe?.["proxy.provider.password"]} />
            </>
          )}
        </div>
        {!readOnly && (
          <div className="flex flex-wrap items-center gap-3">
            <SubmitButton pendingText="Saving…">Save proxy settings</SubmitButton>
            {type && <ConnectionTest target="proxy" formId="proxy-form" />}
            <FormStatus state={state} />
          </div>
        )}
      </fieldset>
    </form>
  );
}
