"use client";
import { useActionState, useState } from "react";
import { Field, FormStatus, SubmitButton, TextField, inputClass } from "@/components/ui/form";
import type { TPublicSettings } from "@/lib/settings/public-settings";
import type { TManagedProxyConfig } from "@/lib/settings/schemas";
import { saveProxyAction } from "./actions";
import { ConnectionTest } from "./connection-test";
import { SecretField } from "./secret-field";

export function ProxyForm({ settings, readOnly, managedDefaults }: { settings: TPublicSettings; readOnly: boolean; managedDefaults: TManagedProxyConfig }) {
  const [state, action] = useActionState(saveProxyAction, null);
  const current = settings.proxy.provider as Record<string, unknown> | null;
  const [type, setType] = useState<string>((current?.type as string) ?? "");
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const same = current?.type === type;
  // After a refused save, show what was typed rather than the stored values.
  const typed = state && !state.ok ? state.typed : undefined;
  const val = (k: string) => typed?.[`proxy.provider.${k}`] ?? (same ? String(current?.[k] ?? "") : "");
  const managedVal = (k: keyof TManagedProxyConfig) => val(k) || String(managedDefaults[k]);
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
              <option value="managed">Let Wharf run Caddy</option>
            </select>
          </Field>
          {type === "managed" && (
            <>
              <p className="text-sm text-slate-500 sm:col-span-2">
                Wharf starts a Caddy container of its own (with a volume for its certificates), keeps it running, and reaches instances on its Docker network.
                Its admin API is a unix socket in Wharf&apos;s data directory: no port, so neither instances nor the network can reach it.
              </p>
              <TextField label="Image" name="proxy.provider.image" defaultValue={managedVal("image")} error={fe?.["proxy.provider.image"]} />
              <TextField label="Publish on address" name="proxy.provider.bindAddress" defaultValue={managedVal("bindAddress")} hint="0.0.0.0: every interface" error={fe?.["proxy.provider.bindAddress"]} />
              <TextField label="HTTP port" name="proxy.provider.httpPort" type="number" defaultValue={managedVal("httpPort")} error={fe?.["proxy.provider.httpPort"]} />
              <TextField label="HTTPS port" name="proxy.provider.httpsPort" type="number" defaultValue={managedVal("httpsPort")} error={fe?.["proxy.provider.httpsPort"]} />
            </>
          )}
          {current?.type === "managed" && type !== "managed" && (
            <label className="flex items-center gap-2 text-sm sm:col-span-2">
              <input type="checkbox" name="_removeManagedProxy" />
              Also remove Wharf&apos;s Caddy container (its volume with the certificates is kept). Unticked, it keeps running, unmanaged.
            </label>
          )}
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
