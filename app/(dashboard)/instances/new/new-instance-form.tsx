"use client";
import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { Field, FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { inputClass } from "@/components/ui/styles";
import { createInstanceAction } from "../actions";
import { SpecFields, type TSpecValues } from "@/components/instances/spec-fields";
import { TlsOptionFields } from "@/components/tls/tls-option-fields";

export function NewInstanceForm({ baseDomain, spec, servers = [], initialServer = "local" }: { baseDomain: string; spec: TSpecValues; servers?: { name: string; status: string; transport: string; kind: string }[]; initialServer?: string }) {
  const router = useRouter();
  const [state, action] = useActionState(createInstanceAction, null);
  const [name, setName] = useState("");
  const [sub, setSub] = useState("");
  const [server, setServer] = useState(initialServer);
  const cluster = servers.find((s) => s.name === server)?.kind === "swarm";
  useEffect(() => {
    if (state?.ok) router.push(`/instances/${state.data.id}`);
  }, [state, router]);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  const envError = fe && Object.entries(fe).find(([k]) => k.startsWith("env"))?.[1];
  return (
    <form action={action} className="grid max-w-3xl gap-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:grid-cols-2" aria-label="New instance">
      <Field label="Name" name="name" error={fe?.name} hint="Lower-case letters, digits and hyphens">
        <input id="name" name="name" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} required />
      </Field>
      <TextField label="Image" name="image" placeholder="nginx:1.27" error={fe?.image} required />
      {servers.length > 0 && (
        <Field label="Server" name="server" error={fe?.server} hint="The Docker engine it runs on (Settings → Servers)">
          <select id="server" name="server" value={server} onChange={(e) => setServer(e.target.value)} className={inputClass}>
            <option value="local">local (this machine&apos;s engine)</option>
            {servers.map((s) => (
              <option key={s.name} value={s.name}>{`${s.name} (${s.kind === "swarm" ? "Swarm cluster, " : ""}${s.transport}, ${s.status})`}</option>
            ))}
          </select>
        </Field>
      )}
      {cluster && (
        <>
          <TextField label="Replicas" name="replicas" type="number" placeholder="1" error={fe?.replicas} hint="Tasks of the Swarm service, spread over the nodes" />
          <Field label="Placement (one constraint per line)" name="placement" error={fe?.placement ?? (fe && Object.entries(fe).find(([k]) => k.startsWith("placement"))?.[1])} hint="e.g. node.labels.zone==a or node.role!=manager">
            <textarea id="placement" name="placement" rows={2} className={`${inputClass} font-mono`} placeholder="node.labels.zone==a" />
          </Field>
          <label className="flex items-start gap-2 text-sm sm:col-span-2">
            <input type="checkbox" name="pinVolumes" defaultChecked className="mt-1" />
            <span>
              Pin volumes to one node (recommended). A named volume lives on one node: with this on, Wharf picks a node that satisfies the placement and every task runs there, so the data is always found; all replicas then share that node. Turn it off only when the volumes are shared storage that every node reaches (an NFS or cloud volume driver).
              {fe?.pinVolumes && <span className="block text-rose-700">{fe.pinVolumes}</span>}
            </span>
          </label>
          <input type="hidden" name="pinVolumesField" value="1" />
        </>
      )}
      <TextField label="Container port" name="port" type="number" placeholder="80" error={fe?.port} required />
      <Field label="Subdomain" name="subdomain" error={fe?.subdomain} hint={`${sub || name || "name"}.${baseDomain}`}>
        <input id="subdomain" name="subdomain" value={sub} onChange={(e) => setSub(e.target.value)} placeholder={name || "defaults to the name"} className={inputClass} />
      </Field>
      <TextField label="Health path (optional)" name="healthPath" placeholder="/healthz" error={fe?.healthPath} hint="Probed over HTTP when the image has no HEALTHCHECK" />
      <Field label="Restart policy" name="restartPolicy" error={fe?.restartPolicy}>
        <select id="restartPolicy" name="restartPolicy" defaultValue="unless-stopped" className={inputClass}>
          <option value="unless-stopped">unless-stopped</option>
          <option value="always">always</option>
          <option value="on-failure">on-failure</option>
          <option value="no">no</option>
        </select>
      </Field>
      <Field label="Environment (KEY=value per line)" name="env" error={envError}>
        <textarea id="env" name="env" rows={4} className={`${inputClass} font-mono`} placeholder={"LOG_LEVEL=info"} />
      </Field>
      <Field label="Secret environment (KEY=value per line)" name="secretEnv" hint="Encrypted at rest, never shown again">
        <textarea id="secretEnv" name="secretEnv" rows={4} className={`${inputClass} font-mono`} placeholder={"DATABASE_PASSWORD=…"} />
      </Field>
      <label className="flex items-center gap-2 text-sm sm:col-span-2">
        <input type="checkbox" name="autoUpdate" />
        Auto-update: redeploy when the tag moves to a new digest in its registry
      </label>
      <TlsOptionFields values={{ https: true, redirect: true, hsts: false }} />
      <SpecFields cluster={cluster} values={spec} errors={fe} typed={state && !state.ok ? state.typed : undefined} key={JSON.stringify(state && !state.ok ? state.typed : null)} />
      <div className="flex items-center gap-3 sm:col-span-2">
        <SubmitButton pendingText="Starting deploy…">Deploy</SubmitButton>
        <FormStatus state={state} />
      </div>
    </form>
  );
}
