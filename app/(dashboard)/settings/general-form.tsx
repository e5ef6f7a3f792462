"use client";
import { useActionState, useState } from "react";
import { Field, FormStatus, SubmitButton, TextField, inputClass } from "@/components/ui/form";
import type { TPublicSettings } from "@/lib/settings/public-settings";
import { saveGeneralAction } from "./actions";

export function GeneralForm({ settings, readOnly }: { settings: TPublicSettings; readOnly: boolean }) {
  const [state, action] = useActionState(saveGeneralAction, null);
  const [mode, setMode] = useState(settings.proxy.upstream.mode);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  // After a refused save, show what was typed rather than the stored values.
  const typed = state && !state.ok ? state.typed : undefined;
  const val = (name: string, saved: string | number) => typed?.[name] ?? saved;
  const up = settings.proxy.upstream;
  return (
    <form action={action} className="grid gap-4 sm:grid-cols-2" aria-label="General settings">
      <fieldset disabled={readOnly} className="contents">
        <TextField label="Base domain" name="baseDomain" defaultValue={val("baseDomain", settings.baseDomain)} error={fe?.baseDomain} hint="Instances get <name>.<base domain>" />
        <TextField label="Target address" name="targetAddress" defaultValue={val("targetAddress", settings.targetAddress)} error={fe?.targetAddress} hint="IP or hostname that DNS records point at" />
        <TextField label="Docker network for instances" name="docker.network" defaultValue={val("docker.network", settings.docker.network)} error={fe?.["docker.network"]} />
        <TextField label="Sync interval (minutes)" name="sync.intervalMinutes" type="number" defaultValue={settings.sync.intervalMinutes} error={fe?.["sync.intervalMinutes"]} />
        <TextField label="Keep history (days)" name="retention.days" type="number" defaultValue={val("retention.days", settings.retention.days)} error={fe?.["retention.days"]} hint="Audit events and sync runs older than this are pruned" />
        <TextField label="Deployments kept per instance" name="retention.deploymentsPerInstance" type="number" defaultValue={val("retention.deploymentsPerInstance", settings.retention.deploymentsPerInstance)} error={fe?.["retention.deploymentsPerInstance"]} />
        <TextField label="Successful deployments kept per instance (to roll back to)" name="retention.successfulDeploymentsPerInstance" type="number" defaultValue={val("retention.successfulDeploymentsPerInstance", settings.retention.successfulDeploymentsPerInstance)} error={fe?.["retention.successfulDeploymentsPerInstance"]} />
        <TextField label="Custom domain grace period (hours)" name="domains.graceHours" type="number" defaultValue={val("domains.graceHours", settings.domains.graceHours)} error={fe?.["domains.graceHours"]} hint="A custom domain that stops pointing here is still served this long, then taken off the route" />
        <Field label="Upstream addressing" name="proxy.upstream.mode" error={fe?.["proxy.upstream.mode"]} hint="How the proxy reaches containers">
          <select id="proxy.upstream.mode" name="proxy.upstream.mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)} className={inputClass}>
            <option value="host">Published host port</option>
            <option value="network">Container name on a shared network</option>
          </select>
        </Field>
        {mode === "host" ? (
          <TextField label="Publish on host address" name="proxy.upstream.hostAddress" defaultValue={val("proxy.upstream.hostAddress", up.mode === "host" ? up.hostAddress : "127.0.0.1")} error={fe?.["proxy.upstream.hostAddress"]} />
        ) : (
          <TextField label="Shared network" name="proxy.upstream.network" defaultValue={val("proxy.upstream.network", up.mode === "network" ? up.network : settings.docker.network)} error={fe?.["proxy.upstream.network"]} />
        )}
        <div className="grid grid-cols-3 gap-3 sm:col-span-2">
          <TextField label="Default memory limit (MB)" name="limits.memoryMb" defaultValue={val("limits.memoryMb", settings.limits.memoryMb ?? "")} error={fe?.["limits.memoryMb"]} hint="For new instances; blank: none" />
          <TextField label="Default CPUs" name="limits.cpus" defaultValue={val("limits.cpus", settings.limits.cpus ?? "")} error={fe?.["limits.cpus"]} hint="e.g. 1.5; blank: none" />
          <TextField label="Default process limit" name="limits.pidsLimit" defaultValue={val("limits.pidsLimit", settings.limits.pidsLimit ?? "")} error={fe?.["limits.pidsLimit"]} hint="blank: none" />
        </div>
        <div className="flex items-center gap-3 sm:col-span-2">
          {!readOnly && <SubmitButton pendingText="Saving…">Save general settings</SubmitButton>}
          <FormStatus state={state} />
        </div>
      </fieldset>
    </form>
  );
}
