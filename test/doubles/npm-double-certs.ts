import type { Body } from "./npm-double-schema";

// The certificate part of the NPM double (backend/internal/certificate.js,
// schema/paths/nginx/certificates/*.json of NPM 2.15):
// - POST /api/nginx/certificates {provider, nice_name?, domain_names, meta?};
//   additionalProperties:false at both levels, and 2.15's meta has no
//   letsencrypt_email/letsencrypt_agree any more (older NPMs required them):
//   sending them is 400 "data/meta must NOT have additional properties".
// - letsencrypt: certbot runs inside the request; the answer is 201 with the
//   row (expires_on as "YYYY-MM-DD HH:MM:SS" UTC, meta.letsencrypt_certificate
//   {cn, issuer, dates}); when certbot fails, NPM deletes the row again and
//   answers 500 with message "Internal Error" and the certbot output in
//   `debug.stack` (app.js adds debug for every nginx/certificates path).
// - GET list/one, DELETE soft-deletes (200 true); unknown id 404 "Not Found - <id>".

export interface StoredCertificate {
  id: number;
  provider: string;
  nice_name: string;
  domain_names: string[];
  expires_on: string;
  meta: Record<string, unknown>;
  is_deleted: boolean;
  created_on: string;
  modified_on: string;
  owner_user_id: number;
}

const META_KEYS = new Set(["certificate", "certificate_key", "dns_challenge", "dns_provider_credentials", "dns_provider", "letsencrypt_certificate", "propagation_seconds", "key_type"]);
const DOMAIN_PATTERN = /^[^&| @!#%^();:/\\}{=+?<>,~`'"]+$/;
type Reply = [number, unknown];

export function npmDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace("T", " ");
}

export function certificateStore() {
  const store = new Map<number, StoredCertificate>();
  let nextId = 1;
  let certbotFailure: string | null = null;
  let failuresLeft = 0;
  const err = (code: number, message: string, extra: Body = {}): Reply => [code, { error: { code, message }, ...extra }];
  const view = (c: StoredCertificate) => {
    const { is_deleted: _d, ...rest } = structuredClone(c);
    return rest;
  };
  const live = () => [...store.values()].filter((c) => !c.is_deleted);

  function insert(fields: Partial<StoredCertificate> & { domain_names: string[] }): StoredCertificate {
    const now = npmDate(new Date());
    const c: StoredCertificate = {
      provider: "letsencrypt",
      nice_name: fields.domain_names.join(", "),
      expires_on: npmDate(new Date(Date.now() + 90 * 86_400_000)),
      meta: {},
      ...structuredClone(fields),
      id: nextId++,
      is_deleted: false,
      created_on: now,
      modified_on: now,
      owner_user_id: 1,
    };
    store.set(c.id, c);
    return c;
  }

  function validate(body: unknown): string | null {
    if (!body || typeof body !== "object" || Array.isArray(body)) return "data must be object";
    const b = body as Body;
    const errors: string[] = [];
    if (Object.keys(b).some((k) => !["provider", "nice_name", "domain_names", "meta"].includes(k))) errors.push("data must NOT have additional properties");
    if (!("provider" in b)) errors.push("data must have required property 'provider'");
    else if (b.provider !== "letsencrypt" && b.provider !== "other") errors.push("data/provider must be equal to one of the allowed values");
    if ("domain_names" in b) {
      const d = b.domain_names;
      if (!Array.isArray(d)) errors.push("data/domain_names must be array");
      else d.forEach((x, i) => {
        if (typeof x !== "string" || !DOMAIN_PATTERN.test(x)) errors.push(`data/domain_names/${i} must match pattern "${DOMAIN_PATTERN.source}"`);
      });
    }
    if ("meta" in b) {
      const m = b.meta;
      if (!m || typeof m !== "object" || Array.isArray(m)) errors.push("data/meta must be object");
      else if (Object.keys(m).some((k) => !META_KEYS.has(k))) errors.push("data/meta must NOT have additional properties");
    }
    return errors.length ? errors.join(", ") : null;
  }

  function route(method: string, id: number | null, body: unknown): Reply {
    const found = id === null ? undefined : store.get(id);
    const current = found && !found.is_deleted ? found : undefined;
    if (id === null && method === "GET") return [200, live().map(view)];
    if (id === null && method === "POST") {
      const invalid = validate(body);
      if (invalid) return err(400, invalid);
      const b = body as { provider: string; nice_name?: string; domain_names?: string[]; meta?: Record<string, unknown> };
      if (b.provider === "letsencrypt" && !b.domain_names?.length) return err(400, "Domains are invalid");
      const row = insert({ provider: b.provider, domain_names: (b.domain_names ?? []).map((d) => d.toLowerCase()), meta: b.meta ?? {}, ...(b.nice_name ? { nice_name: b.nice_name } : {}) });
      if (b.provider === "letsencrypt") {
        const failure = failuresLeft > 0 ? certbotFailure : null;
        if (failure !== null) {
          failuresLeft -= 1;
          store.delete(row.id);
          return err(500, "Internal Error", { debug: { stack: [`CommandError: ${failure}`, "    at /app/lib/utils.js:16:13"], previous: null } });
        }
        const from = Math.floor(Date.now() / 1000);
        const to = from + 90 * 86_400;
        row.expires_on = npmDate(new Date(to * 1000));
        row.meta = { ...row.meta, letsencrypt_certificate: { cn: row.domain_names[0], issuer: "C = US, O = Let's Encrypt, CN = R11", dates: { from, to } } };
      }
      return [201, view(row)];
    }
    if (id === null) return err(404, "Not Found - /nginx/certificates");
    if (method === "GET") return current ? [200, view(current)] : err(404, `Not Found - ${id}`);
    if (method === "DELETE") {
      if (!current) return err(404, `Not Found - ${id}`);
      current.is_deleted = true;
      return [200, true];
    }
    return err(404, `Not Found - /nginx/certificates/${id}`);
  }

  return {
    route,
    insert,
    certificates: () => live().map((c) => structuredClone(c)),
    /** certbot fails the next `times` Let's Encrypt requests (default: all) with this output; null succeeds again. */
    setCertbotFailure: (text: string | null, times = Number.POSITIVE_INFINITY) => {
      certbotFailure = text;
      failuresLeft = text === null ? 0 : times;
    },
  };
}
