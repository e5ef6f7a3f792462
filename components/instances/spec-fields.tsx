"use client";
import { Field } from "@/components/ui/form";
import { inputClass } from "@/components/ui/styles";

export type TSpecValues = { mounts: string; memoryMb: string | number; cpus: string | number; pidsLimit: string | number; reservationMemoryMb?: string | number; reservationCpus?: string | number; command: string; entrypoint: string; deployStrategy: string };

/**
 * Mounts, limits, reservations, command/entrypoint and deploy strategy: the same fields on the new-instance form and the Edit form.
 * `cluster`: the instance is a Swarm service (a CPU reservation exists there only).
 */
export function SpecFields({ values, errors, typed, cluster = false }: { values: TSpecValues; errors?: Record<string, string>; typed?: Record<string, string>; cluster?: boolean }) {
  const v = (name: string, fallback: string | number) => typed?.[name] ?? String(fallback);
  const mountMsg = mountErrorText(errors);
  return (
    <>
      <Field
        label="Mounts (one per line)"
        name="mounts"
        error={mountMsg || undefined}
        hint={<>/data — a volume Wharf creates · name:/data — a named (e.g. kept) volume · /host/dir:/target:ro — a bind mount under the allowed root</>}
      >
        <textarea id="mounts" name="mounts" rows={3} className={`${inputClass} font-mono`} defaultValue={v("mounts", values.mounts)} placeholder="/var/lib/app" aria-invalid={!!mountMsg} />
      </Field>
      <Field label="Deploy strategy" name="deployStrategy" error={errors?.deployStrategy} hint="blue-green: no downtime, old and new share the volumes for a few seconds · stop-first: the old container stops first (brief downtime)">
        <select id="deployStrategy" name="deployStrategy" defaultValue={v("deployStrategy", values.deployStrategy)} className={inputClass}>
          <option value="blue-green">blue-green</option>
          <option value="stop-first">stop-first</option>
        </select>
      </Field>
      <div className="grid grid-cols-3 gap-3 sm:col-span-2">
        <Field label="Memory limit (MB)" name="limits.memoryMb" error={errors?.["limits.memoryMb"]} hint="blank: no limit">
          <input id="limits.memoryMb" name="limits.memoryMb" inputMode="numeric" defaultValue={v("limits.memoryMb", values.memoryMb)} className={inputClass} aria-invalid={!!errors?.["limits.memoryMb"]} />
        </Field>
        <Field label="CPUs" name="limits.cpus" error={errors?.["limits.cpus"]} hint="e.g. 0.5; blank: no limit">
          <input id="limits.cpus" name="limits.cpus" inputMode="decimal" defaultValue={v("limits.cpus", values.cpus)} className={inputClass} aria-invalid={!!errors?.["limits.cpus"]} />
        </Field>
        <Field label="Process limit" name="limits.pidsLimit" error={errors?.["limits.pidsLimit"]} hint="blank: no limit">
          <input id="limits.pidsLimit" name="limits.pidsLimit" inputMode="numeric" defaultValue={v("limits.pidsLimit", values.pidsLimit)} className={inputClass} aria-invalid={!!errors?.["limits.pidsLimit"]} />
        </Field>
      </div>
      <div className="grid grid-cols-3 gap-3 sm:col-span-2">
        <Field
          label="Memory reservation (MB)"
          name="reservations.memoryMb"
          error={errors?.["reservations.memoryMb"]}
          hint={cluster ? "set aside on the node: a task goes only where this much is free" : "a soft limit: under memory pressure the engine reclaims down to it"}
        >
          <input id="reservations.memoryMb" name="reservations.memoryMb" inputMode="numeric" defaultValue={v("reservations.memoryMb", values.reservationMemoryMb ?? "")} className={inputClass} aria-invalid={!!errors?.["reservations.memoryMb"]} />
        </Field>
        {cluster && (
          <Field label="CPU reservation" name="reservations.cpus" error={errors?.["reservations.cpus"]} hint="e.g. 0.25; set aside on the node">
            <input id="reservations.cpus" name="reservations.cpus" inputMode="decimal" defaultValue={v("reservations.cpus", values.reservationCpus ?? "")} className={inputClass} aria-invalid={!!errors?.["reservations.cpus"]} />
          </Field>
        )}
      </div>
      <Field label="Command (optional)" name="command" error={errors?.command ?? firstStartingWith(errors, "command.")} hint="Split like a shell splits words, but run without a shell: sh -c '…' for pipes">
        <input id="command" name="command" defaultValue={v("command", values.command)} className={`${inputClass} font-mono`} placeholder="image default" aria-invalid={!!errors?.command} />
      </Field>
      <Field label="Entrypoint (optional)" name="entrypoint" error={errors?.entrypoint ?? firstStartingWith(errors, "entrypoint.")}>
        <input id="entrypoint" name="entrypoint" defaultValue={v("entrypoint", values.entrypoint)} className={`${inputClass} font-mono`} placeholder="image default" aria-invalid={!!errors?.entrypoint} />
      </Field>
    </>
  );
}

function firstStartingWith(errors: Record<string, string> | undefined, prefix: string): string | undefined {
  return errors && Object.entries(errors).find(([k]) => k.startsWith(prefix))?.[1];
}

/** Schema errors name `mounts.N.field`, the line parser `mounts.N`: shown under the box as "mount N+1 field: message". */
function mountErrorText(errors: Record<string, string> | undefined): string | undefined {
  const hit = errors && Object.entries(errors).find(([k]) => k.startsWith("mounts"));
  if (!hit) return undefined;
  const [key, message] = hit;
  const m = /^mounts\.(\d+)(?:\.(\w+))?/.exec(key);
  const text = message.replace(/^mounts[.\w]*: /, "");
  return m ? `mount ${Number(m[1]) + 1}${m[2] ? ` ${m[2]}` : ""}: ${text}` : text;
}
