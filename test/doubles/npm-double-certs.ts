import type { Body } from "./npm-double-schema";
import { issuePem, zip, type IssuedPem } from "./npm-double-pki";

// The certificate part of the NPM double (backend/internal/certificate.js,
// schema/paths/nginx/certificates/*.json of NPM 2.15):
// - POST /api/nginx/certificates {provider, nice_name?, domain_names, meta?};
//   additionalProperties:false at both levels, and 2.15's meta has no
//   letsencrypt_email/letsencrypt_agree any more (older NPMs required them):
//   sending them is 400 "data/meta must NOT have additional properties".
// - letsencrypt: the row is stored first (nice_name = the domains joined,
//   expires_on = now until certbot is done), then certbot runs inside the
//   request (`issuanceDelayMs`, 4.5 s against Pebble on the real backend),
//   and NPM takes every host serving one of the names out of nginx until it
//   ends (`onIssuing`). The row stays even when the caller has given up.
//   The answer is 201 with the row (expires_on as "YYYY-MM-DD HH:MM:SS" UTC)
//   plus meta.letsencrypt_certificate {cn, issuer, dates}, which NPM adds to
//   the answer only: a later GET has the meta as posted (`{}`).
// - when certbot fails, NPM deletes the row again and answers 500 "Internal
//   Error" with certbot's stderr as lines in `debug.stack` (no stack frames)
//   and `debug.previous` = {code, killed, signal, cmd} of the command.
// - GET /:id/download: a zip of cert1/chain1/fullchain1/privkey1.pem.
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
  /** certbot's files (not part of NPM's answers). */
  pem?: IssuedPem;
}

export interface CertificateStoreOptions {
  /** Called with the names certbot is running for (true) and once it ends (false). */
  onIssuing?: (domains: string[], running: boolean) => void;
}

const META_KEYS = new Set(["certificate", "certificate_key", "dns_challenge", "dns_provider_credentials", "dns_provider", "letsencrypt_certificate", "propagation_seconds", "key_type"]);
const DOMAIN_PATTERN = /^[^&| @!#%^();:/\\}{=+?<>,~`'"]+$/;
type Reply = [number, unknown];

export function npmDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace("T", " ");
}

function certExpiryMs(expiresOn: string): number {
  return Date.parse(`${expiresOn.replace(" ", "T")}Z`);
}

export function certificateStore(opts: CertificateStoreOptions = {}) {
  const store = new Map<number, StoredCertificate>();
  let nextId = 1;
  let issuanceDelayMs = 0;
  let certbotFailure: string | null = null;
  let failuresLeft = 0;
  const err = (code: number, message: string, extra: Body = {}): Reply => [code, { error: { code, message }, ...extra }];
  const view = (c: StoredCertificate) => {
    const { is_deleted: _d, pem: _p, ...rest } = structuredClone(c);
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
    if (c.provider === "letsencrypt" && !c.pem && !fields.meta?.letsencrypt_certificate) {
      // An operator's certificate: certbot's files, valid until its expires_on.
      const days = (certExpiryMs(c.expires_on) - Date.now()) / 86_400_000;
      if (days > 0) c.pem = issuePem(c.domain_names, days);
    }
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

  async function route(method: string, id: number | null, body: unknown, download = false): Promise<Reply> {
    const found = id === null ? undefined : store.get(id);
    const current = found && !found.is_deleted ? found : undefined;
    if (id === null && method === "GET") return [200, live().map(view)];
    if (id === null && method === "POST") {
      const invalid = validate(body);
      if (invalid) return err(400, invalid);
      const b = body as { provider: string; nice_name?: string; domain_names?: string[]; meta?: Record<string, unknown> };
      if (b.provider === "letsencrypt" && !b.domain_names?.length) return err(400, "Domains are invalid");
      const domains = (b.domain_names ?? []).map((d) => d.toLowerCase());
      const now = npmDate(new Date());
      // NPM's model sets expires_on to now when the row is created; certbot's result patches it.
      const row = insert({ provider: b.provider, domain_names: domains, meta: b.meta ?? {}, expires_on: now, ...(b.provider === "letsencrypt" ? {} : b.nice_name ? { nice_name: b.nice_name } : {}) });
      if (b.provider === "letsencrypt") {
        opts.onIssuing?.(domains, true);
        try {
          if (issuanceDelayMs > 0) await new Promise((r) => setTimeout(r, issuanceDelayMs));
        } finally {
          opts.onIssuing?.(domains, false);
        }
        const failure = failuresLeft > 0 ? certbotFailure : null;
        if (failure !== null) {
          failuresLeft -= 1;
          store.delete(row.id);
          const cmd = `certbot certonly --config "/etc/letsencrypt.ini" --work-dir "/tmp/letsencrypt-lib" --logs-dir "/tmp/letsencrypt-log" --cert-name "npm-${row.id}" --agree-tos --authenticator webroot --email "admin@example.com" --preferred-challenges "dns,http" --domains "${domains.join(",")}"`;
          // NPM's CommandError carries certbot's output as its message; debug.stack is err.stack's lines (none are frames).
          const [first, ...rest] = failure.split("\n");
          return err(500, "Internal Error", { debug: { stack: [`CommandError: ${first}`, ...rest], previous: { code: 1, killed: false, signal: null, cmd } } });
        }
        const pem = issuePem(domains);
        row.pem = pem;
        row.expires_on = npmDate(pem.notAfter);
        row.modified_on = npmDate(new Date());
        const answer = view(row);
        answer.meta = { ...answer.meta, letsencrypt_certificate: { cn: domains[0], issuer: pem.issuer, dates: { from: Math.floor(pem.notBefore.getTime() / 1000), to: Math.floor(pem.notAfter.getTime() / 1000) } } };
        return [201, answer];
      }
      return [201, view(row)];
    }
    if (id === null) return err(404, "Not Found - /nginx/certificates");
    if (method === "GET" && download) {
      if (!current) return err(404, `Not Found - ${id}`);
      // No certbot files (still issuing, or a custom certificate): NPM's zip step fails on the missing file.
      if (!current.pem) return err(500, "Internal Error");
      const p = current.pem;
      return [200, zip({ "cert1.pem": p.cert, "chain1.pem": p.chain, "fullchain1.pem": p.cert + p.chain, "privkey1.pem": p.key })];
    }
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
    certificates: () => live().map((c) => view(c) as Omit<StoredCertificate, "is_deleted" | "pem">),
    /** How long certbot takes inside the POST. */
    setIssuanceDelay: (ms: number) => void (issuanceDelayMs = ms),
    /** certbot fails the next `times` Let's Encrypt requests (default: all) with this output; null succeeds again. */
    setCertbotFailure: (text: string | null, times = Number.POSITIVE_INFINITY) => {
      certbotFailure = text;
      failuresLeft = text === null ? 0 : times;
    },
  };
}
