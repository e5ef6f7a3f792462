// Request validation of the NPM double, after NPM's JSON schemas
// (backend/schema/paths/nginx/proxy-hosts/{post,hostID/put}.json): both set
// additionalProperties:false, POST requires the four forward fields, PUT needs
// at least one property. NPM's ajv runs with coerceTypes, so "8080" and 1/0
// pass as a port and booleans. Messages follow ajv's errorsText().

const BOOLEAN_FIELDS = ["ssl_forced", "hsts_enabled", "hsts_subdomains", "http2_support", "block_exploits", "caching_enabled", "allow_websocket_upgrade", "enabled"];
const ALLOWED = new Set([
  "domain_names",
  "forward_scheme",
  "forward_host",
  "forward_port",
  "certificate_id",
  "access_list_id",
  "advanced_config",
  "meta",
  "locations",
  ...BOOLEAN_FIELDS,
]);
const REQUIRED_ON_CREATE = ["domain_names", "forward_scheme", "forward_host", "forward_port"];

export type Body = Record<string, unknown>;

function coerceBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === 1 || v === "1" || v === "true") return true;
  if (v === 0 || v === "0" || v === "false") return false;
  return undefined;
}

function coerceInteger(v: unknown): number | undefined {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

/** Returns the coerced body, or the error text NPM would answer with 400. */
export function validateProxyHostBody(body: unknown, mode: "create" | "update"): { ok: true; data: Body } | { ok: false; message: string } {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { ok: false, message: "data must be object" };
  const data: Body = { ...(body as Body) };
  for (const key of Object.keys(data)) if (!ALLOWED.has(key)) return { ok: false, message: "data must NOT have additional properties" };
  if (mode === "create") {
    for (const key of REQUIRED_ON_CREATE) if (!(key in data)) return { ok: false, message: `data must have required property '${key}'` };
  } else if (Object.keys(data).length === 0) {
    return { ok: false, message: "data must NOT have fewer than 1 properties" };
  }
  if ("domain_names" in data) {
    const d = data.domain_names;
    if (!Array.isArray(d)) return { ok: false, message: "data/domain_names must be array" };
    if (d.length === 0) return { ok: false, message: "data/domain_names must NOT have fewer than 1 items" };
    if (d.some((x) => typeof x !== "string" || x.length === 0)) return { ok: false, message: "data/domain_names must be string" };
  }
  if ("forward_scheme" in data && data.forward_scheme !== "http" && data.forward_scheme !== "https") {
    return { ok: false, message: "data/forward_scheme must be equal to one of the allowed values" };
  }
  if ("forward_host" in data) {
    const h = data.forward_host;
    if (typeof h !== "string") return { ok: false, message: "data/forward_host must be string" };
    if (h.length < 1) return { ok: false, message: "data/forward_host must NOT have fewer than 1 characters" };
    if (h.length > 255) return { ok: false, message: "data/forward_host must NOT have more than 255 characters" };
  }
  if ("forward_port" in data) {
    const p = coerceInteger(data.forward_port);
    if (p === undefined) return { ok: false, message: "data/forward_port must be integer" };
    if (p < 1) return { ok: false, message: "data/forward_port must be >= 1" };
    if (p > 65535) return { ok: false, message: "data/forward_port must be <= 65535" };
    data.forward_port = p;
  }
  for (const key of BOOLEAN_FIELDS) {
    if (!(key in data)) continue;
    const b = coerceBoolean(data[key]);
    if (b === undefined) return { ok: false, message: `data/${key} must be boolean` };
    data[key] = b;
  }
  for (const key of ["certificate_id", "access_list_id"]) {
    if (!(key in data) || (key === "certificate_id" && data[key] === "new")) continue;
    const n = coerceInteger(data[key]);
    if (n === undefined || n < 0) return { ok: false, message: `data/${key} must be integer` };
    data[key] = n;
  }
  if ("advanced_config" in data && typeof data.advanced_config !== "string") return { ok: false, message: "data/advanced_config must be string" };
  if ("meta" in data && (!data.meta || typeof data.meta !== "object" || Array.isArray(data.meta))) return { ok: false, message: "data/meta must be object" };
  if ("locations" in data && !Array.isArray(data.locations)) return { ok: false, message: "data/locations must be array" };
  return { ok: true, data };
}
