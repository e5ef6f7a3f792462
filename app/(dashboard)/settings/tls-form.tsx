"use client";
import { useActionState, useState } from "react";
import { Field, FormStatus, SubmitButton, TextField, inputClass } from "@/components/ui/form";
import type { TPublicSettings } from "@/lib/settings/public-settings";
import { saveTlsAction } from "./actions";

const LE = "https://acme-v02.api.letsencrypt.org/directory";
const LE_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

export function TlsForm({ settings, readOnly }: { settings: TPublicSettings; readOnly: boolean }) {
  const [state, action] = useActionState(saveTlsAction, null);
  const [mode, setMode] = useState<string>(settings.tls.mode);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const typed = state && !state.ok ? state.typed : undefined;
  const acme = settings.tls.acme;
  return (
    <form action={action} className="space-y-4" aria-label="TLS settings">
      <fieldset disabled={readOnly} className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Certificates" name="tls.mode" error={fe?.["tls.mode"]} hint="HTTP keeps serving each consumer until its certificate is issued; then HTTP redirects to HTTPS (per consumer).">
            <select id="tls.mode" name="tls.mode" value={mode} onChange={(e) => setMode(e.target.value)} className={inputClass}>
              <option value="acme">ACME (Let&apos;s Encrypt or any RFC 8555 CA)</option>
              <option value="internal">Internal CA of the proxy (LAN, homelab)</option>
              <option value="off">Off: plain HTTP only</option>
            </select>
          </Field>
          {mode === "acme" && (
            <>
              <TextField
                label="ACME directory URL"
                name="tls.acme.directoryUrl"
                defaultValue={typed?.["tls.acme.directoryUrl"] ?? acme.directoryUrl}
                error={fe?.["tls.acme.directoryUrl"]}
                hint={<>Let&apos;s Encrypt: {LE}; staging: {LE_STAGING}</>}
              />
              <TextField label="Account e-mail" name="tls.acme.email" type="email" defaultValue={typed?.["tls.acme.email"] ?? acme.email ?? ""} error={fe?.["tls.acme.email"]} />
              <Field label="Extra trusted root (PEM, for a private ACME CA)" name="tls.acme.trustedRootPem" error={fe?.["tls.acme.trustedRootPem"]}>
                <textarea id="tls.acme.trustedRootPem" name="tls.acme.trustedRootPem" rows={4} defaultValue={typed?.["tls.acme.trustedRootPem"] ?? acme.trustedRootPem ?? ""} className={`${inputClass} font-mono text-xs`} placeholder="-----BEGIN CERTIFICATE-----" />
              </Field>
            </>
          )}
          {mode === "internal" && (
            <p className="text-sm text-slate-600">
              Clients must trust the proxy&apos;s root certificate: <a className="text-sky-700 underline" href="/api/tls/root">download it</a> (Caddy only).
            </p>
          )}
        </div>
        {!readOnly && (
          <div className="flex flex-wrap items-center gap-3">
            <SubmitButton pendingText="Saving…">Save TLS settings</SubmitButton>
            <FormStatus state={state} />
          </div>
        )}
      </fieldset>
    </form>
  );
}
