import { AppError } from "../errors";
import { nestedFromForm } from "../form-data";

// Settings → Servers (SPEC §16): the Add and Edit forms read into the bodies
// POST and PATCH /api/servers take, so the form and the API share one set of
// rules (ZServerCreateSchema, updateServer). Pure: no database, no engine.
// The fields are `serverName` and `labelLines`, not `name` and `labels`: a
// control named like a property of HTMLFormElement (form.name, form.labels)
// shadows it for every script that reads the form.

/** "key=value" lines → labels; blank lines and # comments skipped; a line without "=" is refused naming `labels`. */
export function labelsFromText(text: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i <= 0) throw new AppError("VALIDATION", `labels: line ${n + 1} is not key=value`, { field: "labels" });
    const key = line.slice(0, i).trim();
    if (Object.hasOwn(out, key)) throw new AppError("VALIDATION", `labels: ${key.slice(0, 63)} is given twice`, { field: "labels" });
    out[key] = line.slice(i + 1).trim();
  }
  return out;
}

/** The credential group of the form's transport when any of its fields is filled; the other transport's fields are never sent. */
function credentials(nested: Record<string, unknown>, transport: unknown): { tls?: unknown; ssh?: unknown } {
  const group = (k: "tls" | "ssh") => {
    const g = nested[k] as Record<string, unknown> | undefined;
    return g && Object.keys(g).length ? g : undefined;
  };
  if (transport === "tls") return group("tls") ? { tls: group("tls") } : {};
  if (transport === "ssh") return group("ssh") ? { ssh: group("ssh") } : {};
  return {};
}

/**
 * The Add server form → POST body. Blank fields are "not given" (the port
 * defaults by transport, the upstream address to the address); the labels
 * are one textarea of key=value lines.
 */
export function serverCreateBodyFromForm(form: FormData): Record<string, unknown> {
  const nested = nestedFromForm(form, { numbers: ["port"] });
  const transport = nested.transport;
  return {
    name: nested.serverName ?? "",
    ...(nested.kind !== undefined ? { kind: nested.kind } : {}),
    transport: transport ?? "",
    address: nested.address ?? "",
    ...(nested.port !== undefined ? { port: nested.port } : {}),
    ...(nested.upstreamAddress !== undefined ? { upstreamAddress: nested.upstreamAddress } : {}),
    labels: labelsFromText(String(form.get("labelLines") ?? "")),
    ...(nested.bindRoot !== undefined ? { bindRoot: nested.bindRoot } : {}),
    ...credentials(nested, transport),
  };
}

/**
 * A server's Edit form → PATCH body. `transport` is the server's (not an
 * input). Credentials are write-only: blank keeps the stored ones, which the
 * API allows only while the address and port are unchanged. An emptied
 * labels box clears the labels; a blank upstream address keeps the current one;
 * an emptied bind root switches bind mounts off on the server.
 */
export function serverUpdateBodyFromForm(form: FormData, transport: string): Record<string, unknown> {
  const nested = nestedFromForm(form, { numbers: ["port"] });
  return {
    ...(nested.serverName !== undefined ? { name: nested.serverName } : {}),
    ...(nested.address !== undefined ? { address: nested.address } : {}),
    ...(nested.port !== undefined ? { port: nested.port } : {}),
    ...(nested.upstreamAddress !== undefined ? { upstreamAddress: nested.upstreamAddress } : {}),
    labels: labelsFromText(String(form.get("labelLines") ?? "")),
    ...(form.has("bindRoot") ? { bindRoot: String(form.get("bindRoot")).trim() || null } : {}),
    ...credentials(nested, transport),
  };
}
