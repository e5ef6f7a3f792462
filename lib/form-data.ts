// Turns a FormData whose field names are dotted paths (`dns.provider.apiToken`)
// into the nested object the zod schemas expect. Empty strings mean "not given",
// so a blank secret field keeps the stored secret.
export function nestedFromForm(form: FormData, types: { numbers?: string[]; booleans?: string[] } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (path: string, value: unknown) => {
    const parts = path.split(".");
    let cur = out;
    for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
    cur[parts.at(-1)!] = value;
  };
  for (const name of types.booleans ?? []) set(name, form.get(name) === "on" || form.get(name) === "true");
  for (const [name, raw] of form.entries()) {
    if (typeof raw !== "string" || name.startsWith("$") || name.startsWith("_") || (types.booleans ?? []).includes(name)) continue;
    const v = raw.trim();
    if (v === "") continue;
    set(name, (types.numbers ?? []).includes(name) ? (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v) : v);
  }
  return out;
}
