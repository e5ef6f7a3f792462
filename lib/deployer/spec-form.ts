import { AppError } from "../errors";
import { joinArgv, splitArgv } from "./argv";
import type { TMount, TRuntimeSpec } from "./spec-schemas";

// The forms' text forms of a runtime spec, shared by the new-instance form and
// the Edit form. Mounts use `docker run -v`'s syntax, one per line:
//   /data                 a named volume Wharf creates and names
//   mydata:/data          the named volume `mydata` (a kept one, or a new one)
//   /srv/site:/www:ro     a bind mount of a host directory (source starts with /), read-only
//   other:/data:adopt     an existing volume Wharf did not create, adopted (admin only, audited)

type MountLine = { type: "volume"; name?: string; target: string; adopt?: boolean } | { type: "bind"; source: string; target: string; readOnly?: boolean };

/** Lines → mount inputs for the schema; a line that is not one of the three forms throws naming its line. */
export function parseMountLines(text: string): MountLine[] {
  const out: MountLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parts = line.split(":");
    const field = `mounts.${out.length}`;
    if (parts.length === 1) out.push({ type: "volume", target: parts[0] });
    else if (parts.length === 3 && parts[2] === "adopt" && !parts[0].startsWith("/")) out.push({ type: "volume", name: parts[0], target: parts[1], adopt: true });
    else if (parts.length === 2 || (parts.length === 3 && (parts[2] === "ro" || parts[2] === "rw"))) {
      const [src, target, mode] = parts;
      if (src.startsWith("/")) out.push({ type: "bind", source: src, target, ...(mode ? { readOnly: mode === "ro" } : {}) });
      else if (mode) throw new AppError("VALIDATION", `${field}: line ${i + 1}: :ro applies to bind mounts (a source starting with /)`, { field });
      else out.push({ type: "volume", name: src, target });
    } else throw new AppError("VALIDATION", `${field}: line ${i + 1}: use /target, volume:/target[:adopt] or /host/path:/target[:ro]`, { field });
  });
  return out;
}

export function mountLines(mounts: TMount[]): string {
  return mounts.map((m) => (m.type === "volume" ? `${m.name}:${m.target}${m.adopt ? ":adopt" : ""}` : `${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`)).join("\n");
}

function argvField(form: FormData, key: "command" | "entrypoint"): string[] | null | undefined {
  const v = form.get(key);
  if (v === null) return undefined;
  try {
    return splitArgv(String(v));
  } catch (err) {
    throw new AppError("VALIDATION", `${key}: ${(err as Error).message}`, { field: key });
  }
}

function num(form: FormData, key: string): number | string | null | undefined {
  const v = form.get(key);
  if (v === null) return undefined;
  const s = String(v).trim();
  if (s === "") return null;
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/**
 * The spec part of a form body. A field absent from the form stays absent
 * (keep the stored value); an empty limit or command means "none".
 */
export function specFromForm(form: FormData): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const mounts = form.get("mounts");
  if (mounts !== null) body.mounts = parseMountLines(String(mounts));
  if (form.has("limits.memoryMb") || form.has("limits.cpus") || form.has("limits.pidsLimit")) {
    body.limits = { memoryMb: num(form, "limits.memoryMb"), cpus: num(form, "limits.cpus"), pidsLimit: num(form, "limits.pidsLimit") };
  }
  // The CPU reservation field is on a cluster's form only (a plain engine has none): absent, it is not sent.
  if (form.has("reservations.memoryMb") || form.has("reservations.cpus")) {
    body.reservations = { memoryMb: num(form, "reservations.memoryMb"), ...(form.has("reservations.cpus") ? { cpus: num(form, "reservations.cpus") } : {}) };
  }
  const command = argvField(form, "command");
  if (command !== undefined) body.command = command;
  const entrypoint = argvField(form, "entrypoint");
  if (entrypoint !== undefined) body.entrypoint = entrypoint;
  const strategy = form.get("deployStrategy");
  if (strategy) body.deployStrategy = String(strategy);
  return body;
}

/** Initial values of the form fields for a stored spec. */
export function specFormValues(spec: TRuntimeSpec) {
  return {
    mounts: mountLines(spec.mounts),
    memoryMb: spec.limits.memoryMb ?? "",
    cpus: spec.limits.cpus ?? "",
    pidsLimit: spec.limits.pidsLimit ?? "",
    reservationMemoryMb: spec.reservations?.memoryMb ?? "",
    reservationCpus: spec.reservations?.cpus ?? "",
    command: joinArgv(spec.command),
    entrypoint: joinArgv(spec.entrypoint),
    deployStrategy: spec.deployStrategy,
  };
}
