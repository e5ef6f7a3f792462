// Request validation of the NPM double, after NPM's JSON schemas
// (backend/schema/paths/nginx/proxy-hosts/{post,hostID/put}.json): both set
// additionalProperties:false, POST requires the four forward fields, PUT needs
// at least one property. NPM's ajv runs with coerceTypes, so "8080" and 1/0
// pass as a port and booleans; domain names must match NPM's pattern and be
// unique. Messages follow ajv's errorsText(): every error, joined by ", ".

const BOOLEAN_FIELDS = ["ssl_forced", "hsts_enabled", "hsts_subdomains", "http2_support", "block_exploits", "caching_enabled", "allow_websocket_upgrade", "trust_forwarded_proto", "enabled"];
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

/** NPM's pattern for each domain name (backend/schema/common.json). */
const DOMAIN_PATTERN = /^[^&| @!#%^();:/\\}{=+?<>,~`'"]+$/;

/**
 * Returns the coerced body, or the error text NPM would answer with 400.
 * NPM's ajv reports every failing keyword (allErrors), joined by ", ".
 */
export function validateProxyHostBody(body: unknown, mode: "create" | "update"): { ok: true; data: Body } | { ok: false; message: string } {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { ok: false, message: "data must be object" };
  const data: Body = { ...(body as Body) };
  const errors: string[] = [];
  const fail = (m: string) => void errors.push(m);
  for (const key of Object.keys(data)) if (!ALLOWED.has(key)) fail("data must NOT have additional properties");
  if (mode === "create") {
    for (const key of REQUIRED_ON_CREATE) if (!(key in data)) fail(`data must have required property '${key}'`);
  } else if (Object.keys(data).length === 0) {
    fail("data must NOT have fewer than 1 properties");
  }
  if ("domain_names" in data) {
    const d = data.domain_names;
    if (!Array.isArray(d)) fail("data/domain_names must be array");
    else {
      if (d.length === 0) fail("data/domain_names must NOT have fewer than 1 items");
      d.forEach((x, i) => {
        if (typeof x !== "string") fail(`data/domain_names/${i} must be string`);
        else if (!DOMAIN_PATTERN.test(x)) fail(`data/domain_names/${i} must match pattern "${DOMAIN_PATTERN.source}"`);
      });
      const dup = d.findIndex((x, i) => d.indexOf(x) !== i);
      if (dup >= 0) fail(`data/domain_names must NOT have duplicate items (items ## ${dup} and ${d.indexOf(d[dup])} are identical)`);
    }
  }
  if ("forward_scheme" in data && data.forward_scheme !== "http" && data.forward_scheme !== "https") {
    fail("data/forward_scheme must be equal to one of the allowed values");
  }
  if ("forward_host" in data) {
    const h = data.forward_host;
    if (typeof h !== "string") fail("data/forward_host must be string");
    else if (h.length < 1) fail("data/forward_host must NOT have fewer than 1 characters");
    else if (h.length > 255) fail("data/forward_host must NOT have more than 255 characters");
  }
  if ("forward_port" in data) {
    const p = coerceInteger(data.forward_port);
    if (p === undefined) fail("data/forward_port must be integer");
    else if (p < 1) fail("data/forward_port must be >= 1");
    else if (p > 65535) fail("data/forward_port must be <= 65535");
    else data.forward_port = p;
  }
  for (const key of BOOLEAN_FIELDS) {
    if (!(key in data)) continue;
    const b = coerceBoolean(data[key]);
    if (b === undefined) fail(`data/${key} must be boolean`);
    else data[key] = b;
  }
  for (const key of ["certificate_id", "access_list_id"]) {
    if (!(key in data) || (key === "certificate_id" && data[key] === "new")) continue;
    const n = coerceInteger(data[key]);
    if (n === undefined || n < 0) fail(`data/${key} must be integer`);
    else data[key] = n;
  }
  if ("advanced_config" in data && typeof data.advanced_config !== "string") fail("data/advanced_config must be string");
  if ("meta" in data && (!data.meta || typeof data.meta !== "object" || Array.isArray(data.meta))) fail("data/meta must be object");
  if ("locations" in data && !Array.isArray(data.locations)) fail("data/locations must be array");
  return errors.length ? { ok: false, message: [...new Set(errors)].join(", ") } : { ok: true, data };
}
