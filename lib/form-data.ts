import { AppError } from "./errors";

// Input that names its own object paths (a form's dotted field names, a JSON
// body's keys) must never reach an object's prototype: a field named
// `constructor.prototype.x` walked into a plain `{}` sets Object.prototype.x
// for the whole process (issue 21). Such segments are refused, and what is
// built lands in null-prototype objects.

const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

/** Throws a 400 naming `field` when any of `segments` could reach a prototype. */
export function assertSafePath(segments: string[], field: string): void {
  if (segments.some((s) => FORBIDDEN_SEGMENTS.has(s))) {
    throw new AppError("VALIDATION", `${field.slice(0, 200)}: field names may not contain __proto__, prototype or constructor`, { field: field.slice(0, 200) });
  }
}

/** True when a dotted field name has no forbidden segment. */
export function isSafeFieldName(name: string): boolean {
  return !name.split(".").some((s) => FORBIDDEN_SEGMENTS.has(s));
}

/**
 * A parsed JSON value copied into null-prototype objects, refusing a key that
 * could reach a prototype (400 naming its path). JSON.parse itself makes
 * `__proto__` an own key, but a later spread, Object.assign or merge would
 * follow it.
 */
export function safeJson(value: unknown, path = "body"): unknown {
  if (Array.isArray(value)) return value.map((v, i) => safeJson(v, `${path}.${i}`));
  if (value === null || typeof value !== "object") return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) {
    const field = path === "body" ? k : `${path}.${k}`;
    assertSafePath([k], field);
    out[k] = safeJson(v, field);
  }
  return out;
}

// Turns a FormData whose field names are dotted paths (`dns.provider.apiToken`)
// into the nested object the zod schemas expect. Empty strings mean "not given",
// so a blank secret field keeps the stored secret.
export function nestedFromForm(form: FormData, types: { numbers?: string[]; booleans?: string[] } = {}): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  const set = (path: string, value: unknown) => {
    const parts = path.split(".");
    assertSafePath(parts, path);
    let cur = out;
    for (const p of parts.slice(0, -1)) {
      const next = cur[p];
      // A field that is both a value and a parent (`a=1` and `a.b=2`) would index into a string.
      if (next !== undefined && (next === null || typeof next !== "object")) throw new AppError("VALIDATION", `${path.slice(0, 200)}: conflicts with the field ${p}`, { field: path.slice(0, 200) });
      cur = (next ?? (cur[p] = Object.create(null))) as Record<string, unknown>;
    }
    cur[parts.at(-1)!] = value;
  };
  for (const name of types.booleans ?? []) set(name, form.get(name) === "on" || form.get(name) === "true");
  for (const [name, raw] of form.entries()) {
    // Refused even where the name would be skipped: the operator learns the field is not taken.
    if (!name.startsWith("$")) assertSafePath(name.split("."), name);
    if (typeof raw !== "string" || name.startsWith("$") || name.startsWith("_") || (types.booleans ?? []).includes(name)) continue;
    const v = raw.trim();
    if (v === "") continue;
    set(name, (types.numbers ?? []).includes(name) ? (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v) : v);
  }
  return out;
}
