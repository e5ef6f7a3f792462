"use client";
import { startTransition, useActionState, useRef, useState, useTransition } from "react";
import { Field, FormStatus, SubmitButton, TextField, buttonClass, inputClass } from "@/components/ui/form";
import type { ActionResult } from "@/lib/action";
import type { TPublicSettings } from "@/lib/settings/public-settings";
import { listZonesAction, saveDnsAction, type TDnsSaveOutcome } from "./actions";
import { ConnectionTest } from "./connection-test";
import { SecretField } from "./secret-field";

type P = Record<string, unknown> | null;
type Cleanup = Extract<TDnsSaveOutcome, { saved: false }>["cleanup"];
type SaveState = ActionResult<TDnsSaveOutcome> | null;

/** Shown instead of saving when the change would leave owned records behind at the old provider (SPEC §8). */
function CleanupConfirm({ cleanup, pending, onConfirm, onCancel }: { cleanup: Cleanup; pending: boolean; onConfirm: () => void; onCancel: () => void }) {
  const n = cleanup.count;
  const noun = `${n} record${n === 1 ? "" : "s"}`;
  return (
    <div role="alertdialog" aria-label="Confirm DNS record removal" className="space-y-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
      <p>
        This change means {cleanup.reason}. Wharf will first remove the {noun} it created at <strong>{cleanup.provider}</strong>
        {cleanup.zone ? <> (zone {cleanup.zone})</> : null}, then save:
      </p>
      <ul className="max-h-48 list-inside list-disc overflow-y-auto font-mono text-xs" data-testid="dns-cleanup-records">
        {cleanup.records.map((r) => (
          <li key={r.fqdn}>{r.fqdn} <span className="text-slate-500">{r.type} {r.content}</span></li>
        ))}
      </ul>
      <div className="flex gap-2">
        <button type="button" className={buttonClass("danger")} onClick={onConfirm} disabled={pending}>
          {pending ? "Removing…" : `Remove ${noun} and save`}
        </button>
        <button type="button" className={buttonClass("secondary")} onClick={onCancel} disabled={pending}>Cancel</button>
      </div>
    </div>
  );
}

export function DnsForm({ settings, readOnly }: { settings: TPublicSettings; readOnly: boolean }) {
  // React resets a form after its action runs, so the submitted values are
  // kept here: a confirmed save resubmits exactly what the operator asked for.
  const submitted = useRef<FormData | null>(null);
  const [state, action, saving] = useActionState(async (prev: SaveState, form: FormData) => {
    submitted.current = form;
    return saveDnsAction(prev, form);
  }, null);
  const [dismissed, setDismissed] = useState<SaveState>(null);
  const current = settings.dns.provider as P;
  const [type, setType] = useState<string>((current?.type as string) ?? "");
  const [wildcard, setWildcard] = useState(settings.dns.mode === "wildcard");
  const cleanup = state?.ok && !state.data.saved ? state.data.cleanup : null;
  const confirming = cleanup !== null && dismissed !== state;

  const confirmCleanup = () => {
    const form = new FormData();
    for (const [k, v] of submitted.current?.entries() ?? []) form.append(k, v);
    form.set("_confirmDnsCleanup", "true");
    startTransition(() => action(form));
  };
  const cancelCleanup = () => {
    setDismissed(state);
    setWildcard(settings.dns.mode === "wildcard");
    setType((current?.type as string) ?? "");
  };
  const [zones, setZones] = useState<{ id: string; name: string }[] | null>(null);
  const [zoneError, setZoneError] = useState<string | null>(null);
  const [loadingZones, startZones] = useTransition();
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const same = current?.type === type;
  const val = (k: string) => (same ? ((current?.[k] as string) ?? "") : "");
  const isSet = (k: string) => same && current?.[`${k}Set`] === true;

  const loadZones = () =>
    startZones(async () => {
      const res = await listZonesAction(new FormData(document.getElementById("dns-form") as HTMLFormElement));
      // An empty list (a token without Zone → Zone → Read sees no zones) or a
      // refused one keeps the text input, so the zone can still be typed.
      if (res.ok && res.data.length > 0) {
        setZones(res.data);
        setZoneError(null);
      } else {
        setZones(null);
        setZoneError(res.ok ? "The provider lists no zones for these credentials; type the zone instead." : res.error);
      }
    });

  const zoneField = type === "cloudflare" ? "dns.provider.zoneId" : "dns.provider.zone";
  const zoneValue = type === "cloudflare" ? val("zoneId") : val("zone");

  return (
    <form id="dns-form" action={action} className="space-y-4" aria-label="DNS settings">
      <fieldset disabled={readOnly} className="space-y-4">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="dns.wildcard" checked={wildcard} onChange={(e) => setWildcard(e.target.checked)} />
          <span>
            <strong>Wildcard DNS</strong> — a <code>*.{settings.baseDomain}</code> record already points here; Wharf makes no DNS API calls.
          </span>
        </label>
        {!wildcard && !type && <p className="text-sm text-amber-700">Managed mode needs a DNS provider.</p>}
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="DNS provider" name="dns.provider.type" error={fe?.["dns.provider"] ?? fe?.["dns.provider.type"]}>
            <select id="dns.provider.type" name="dns.provider.type" value={type} onChange={(e) => { setType(e.target.value); setZones(null); }} className={inputClass}>
              <option value="">None</option>
              <option value="cloudflare">Cloudflare</option>
              <option value="powerdns">PowerDNS</option>
              <option value="adguard">AdGuard Home</option>
            </select>
          </Field>
          <TextField label="TTL (seconds)" name="dns.ttl" type="number" defaultValue={settings.dns.ttl} error={fe?.["dns.ttl"]} />
          {type === "cloudflare" && (
            <>
              <SecretField label="API token" name="dns.provider.apiToken" isSet={isSet("apiToken")} error={fe?.["dns.provider.apiToken"]} />
              <TextField label="API base URL (optional)" name="dns.provider.baseUrl" defaultValue={val("baseUrl")} error={fe?.["dns.provider.baseUrl"]} placeholder="https://api.cloudflare.com/client/v4" />
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" name="dns.proxied" defaultChecked={settings.dns.proxied} /> Proxied through Cloudflare
              </label>
              <p className="text-xs text-slate-600 sm:col-span-2">
                The token needs <strong>Zone → DNS → Edit</strong> on the zone, and <strong>Zone → Zone → Read</strong> for the zone list (without it, type the zone id).
                TTL is 1 (automatic) or 60–86400 seconds.
              </p>
            </>
          )}
          {type === "powerdns" && (
            <>
              <TextField label="API URL" name="dns.provider.apiUrl" defaultValue={val("apiUrl")} error={fe?.["dns.provider.apiUrl"]} placeholder="http://127.0.0.1:8081" />
              <SecretField label="API key" name="dns.provider.apiKey" isSet={isSet("apiKey")} error={fe?.["dns.provider.apiKey"]} />
              <TextField label="Server id" name="dns.provider.serverId" defaultValue={val("serverId") || "localhost"} error={fe?.["dns.provider.serverId"]} />
            </>
          )}
          {type === "adguard" && (
            <>
              <TextField label="URL" name="dns.provider.url" defaultValue={val("url")} error={fe?.["dns.provider.url"]} placeholder="http://adguard.lan" />
              <TextField label="Username" name="dns.provider.username" defaultValue={val("username")} error={fe?.["dns.provider.username"]} />
              <SecretField label="Password" name="dns.provider.password" isSet={isSet("password")} error={fe?.["dns.provider.password"]} />
            </>
          )}
          {(type === "cloudflare" || type === "powerdns") && (
            <Field label="Zone" name={zoneField} error={fe?.[zoneField]} hint={zoneError ?? "Pick from the provider's zones, or type the zone."}>
              <div className="flex gap-2">
                {zones ? (
                  <select id={zoneField} name={zoneField} defaultValue={zoneValue} className={inputClass}>
                    {zones.map((z) => (
                      <option key={z.id} value={type === "cloudflare" ? z.id : z.name}>{z.name}</option>
                    ))}
                  </select>
                ) : (
                  <input id={zoneField} name={zoneField} defaultValue={zoneValue} className={inputClass} />
                )}
                <button type="button" className={`${buttonClass("secondary")} mt-1`} onClick={loadZones} disabled={loadingZones}>
                  {loadingZones ? "Loading…" : "Load zones"}
                </button>
              </div>
            </Field>
          )}
        </div>
        {!readOnly && confirming && <CleanupConfirm cleanup={cleanup} pending={saving} onConfirm={confirmCleanup} onCancel={cancelCleanup} />}
        {!readOnly && (
          <div className="flex flex-wrap items-center gap-3">
            <SubmitButton pendingText="Saving…" disabled={confirming}>Save DNS settings</SubmitButton>
            {type && <ConnectionTest target="dns" formId="dns-form" />}
            {cleanup ? (
              !confirming && <p role="status" className="text-sm text-slate-600">Not saved: the DNS settings are unchanged.</p>
            ) : (
              <FormStatus state={state} />
            )}
          </div>
        )}
      </fieldset>
    </form>
  );
}
