"use client";
import { useActionState, useState, useTransition } from "react";
import { FormStatus, SubmitButton, TextField, buttonClass } from "@/components/ui/form";
import type { TPublicSettings } from "@/lib/settings/public-settings";
import { saveRegistriesAction, testRegistryAction } from "./actions";
import { SecretField } from "./secret-field";

function TestLogin({ index }: { index: number }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button
        type="button"
        className={buttonClass("secondary")}
        disabled={pending}
        onClick={() =>
          start(async () => {
            const res = await testRegistryAction(index, new FormData(document.getElementById("registries-form") as HTMLFormElement));
            setResult(res.ok ? res.data : { ok: false, message: res.error });
          })
        }
      >
        {pending ? "Testing…" : "Test login"}
      </button>
      {result && (
        <span role="status" data-testid={`registry-test-result-${index}`} className={`text-sm ${result.ok ? "text-emerald-700" : "text-rose-700"}`}>
          {result.ok ? "✓ " : "✗ "}
          {result.message}
        </span>
      )}
    </div>
  );
}

/** Registry credentials (matched to images by host; passwords write-only) and update detection. */
export function RegistriesForm({ settings, readOnly }: { settings: TPublicSettings; readOnly: boolean }) {
  const [state, action] = useActionState(saveRegistriesAction, null);
  const [rows, setRows] = useState(settings.registries.length + 1);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const typed = state && !state.ok ? state.typed : undefined;
  return (
    <form id="registries-form" action={action} className="space-y-4" aria-label="Registry settings">
      <fieldset disabled={readOnly} className="space-y-4">
        <p className="text-sm text-slate-500">
          Credentials are used for pulls and update checks of images on that host (<code>docker.io</code> covers Docker Hub and its aliases). A password stays bound to its host and user: change either and enter it again. Credentials go only to the registry&apos;s own host, or to the token auth host named here when its token service lives elsewhere; any other token realm is asked anonymously.
        </p>
        {Array.from({ length: rows }, (_, i) => {
          const cur = settings.registries[i];
          const val = (f: string) => typed?.[`registries.${i}.${f}`] ?? (cur ? String((cur as Record<string, unknown>)[f] ?? "") : "");
          return (
            <div key={i} className="grid items-end gap-3 sm:grid-cols-[1fr_1fr_1fr_1fr_auto]" data-testid={`registry-row-${i}`}>
              <TextField label="Registry host" name={`registries.${i}.host`} defaultValue={val("host")} placeholder="ghcr.io" error={fe?.[`registries.${i}.host`]} />
              <TextField label="Username" name={`registries.${i}.username`} defaultValue={val("username")} error={fe?.[`registries.${i}.username`]} />
              <SecretField label="Password or token" name={`registries.${i}.password`} isSet={cur?.passwordSet === true} error={fe?.[`registries.${i}.password`]} />
              <TextField label="Token auth host (optional)" name={`registries.${i}.authHost`} defaultValue={val("authHost")} placeholder="auth.example.com" error={fe?.[`registries.${i}.authHost`]} />
              {!readOnly && <TestLogin index={i} />}
            </div>
          );
        })}
        {!readOnly && (
          <button type="button" className={buttonClass("secondary")} onClick={() => setRows((n) => n + 1)}>
            Add registry
          </button>
        )}
        <div className="grid gap-4 sm:grid-cols-2">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="updates.enabled" defaultChecked={settings.updates.enabled} />
            Check instances deployed by tag for image updates
          </label>
          <TextField label="Check each instance at most every (minutes)" name="updates.intervalMinutes" type="number" defaultValue={settings.updates.intervalMinutes} error={fe?.["updates.intervalMinutes"]} />
        </div>
        {!readOnly && (
          <div className="flex flex-wrap items-center gap-3">
            <SubmitButton pendingText="Saving…">Save registry settings</SubmitButton>
            <FormStatus state={state} />
          </div>
        )}
      </fieldset>
    </form>
  );
}
