import { randomBytes } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

// The record store behind the Cloudflare double, following the v4 API as
// documented: names are full (a relative name is completed with the zone),
// proxied records get TTL 1 ("automatic"), TTL is 1 or 60–86400, an
// identical record is refused with 81058, a CNAME cannot share its name with
// A/AAAA/CNAME (81053 writing the CNAME, 81054 writing an A/AAAA beside one),
// a missing record is 81044, a comment longer than the plan allows is
// refused with 9313, a proxied record to a private or reserved address with
// 9003, a zone past its record quota (200 on a Free zone created since
// 2024-09; configurable, unlimited by default) with 81045. Content and TTL
// errors come as 1004 "DNS Validation Error" with the cause in
// `error_chain`, as Cloudflare sends them. PUT resets every field it does
// not send (comment, tags, proxied, TTL); PATCH keeps them. A batch runs
// deletes, patches, puts, posts, in that order, as one transaction capped at
// the plan's size (200 on Free), and answers the first error.
// Codes the documentation does not pin down are marked "approximation".

export interface CfApiError {
  code: number;
  message: string;
  error_chain?: { code: number; message: string }[];
}

export class CfError extends Error {
  constructor(
    readonly status: number,
    readonly errors: CfApiError[],
  ) {
    super(errors.map((e) => e.message).join("; "));
  }
}

export interface CfZone {
  id: string;
  name: string;
  /** The zone's plan (`plan.legacy_id`); Free when absent. Paid plans take batches of 3,500 changes. */
  plan?: "free" | "pro" | "business" | "enterprise";
}

/** Changes one batch request may carry on a zone of this plan (Free: the store's `batchLimit`, 200 by default). */
export const batchLimitOf = (zone: CfZone, freeLimit: number) => (!zone.plan || zone.plan === "free" ? freeLimit : 3500);

export interface CfDoubleRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
  comment: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  meta: Record<string, unknown>;
  created_on: string;
  modified_on: string;
}

export interface StoreLimits {
  commentMax: number;
  batchLimit: number;
  /** 81058 ("An identical record already exists.") today; older zones answered 81057 ("Record already exists."). */
  duplicateCode: 81057 | 81058;
  /** Records the zone may hold (81045 past it); a Free zone created since September 2024 holds 200. */
  recordQuota: number;
}

type Body = Record<string, unknown>;
const TYPES = ["A", "AAAA", "CNAME", "TXT"];
const bad = (code: number, message: string) => new CfError(400, [{ code, message }]);
/** Validation failures: 1004 with the actual cause in error_chain. */
const invalid = (code: number, message: string) => new CfError(400, [{ code: 1004, message: "DNS Validation Error", error_chain: [{ code, message }] }]);

/** Addresses Cloudflare will not proxy to (9003): private, loopback, link-local, CGNAT, unique-local, unspecified. */
function unproxiable(type: string, content: string): boolean {
  if (type === "A") {
    const [a, b] = content.split(".").map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (type === "AAAA") {
    const lc = content.toLowerCase();
    return lc === "::1" || lc === "::" || /^f[cd]/.test(lc) || /^fe[89ab]/.test(lc);
  }
  return false;
}
export const newId = () => randomBytes(16).toString("hex");

/**
 * The records, indexed by zone and name and counted per zone, with an undo
 * journal for batches. A scan of every record per write (conflict checks,
 * the quota count) and a copy of the zone per batch made a 100,000-record
 * zone quadratic in the double itself, which then dominated what a bench
 * measured of Wharf.
 */
export class CfRecordMap extends Map<string, CfDoubleRecord> {
  private byName?: Map<string, Set<string>>;
  private perZone?: Map<string, number>;
  private journal: [string, CfDoubleRecord | undefined][] | null = null;

  private index() {
    this.byName ??= new Map();
    this.perZone ??= new Map();
    return { byName: this.byName, perZone: this.perZone };
  }

  private unindex(id: string) {
    const old = super.get(id);
    if (!old) return;
    const { byName, perZone } = this.index();
    byName.get(`${old.zone_id}|${old.name}`)?.delete(id);
    perZone.set(old.zone_id, (perZone.get(old.zone_id) ?? 1) - 1);
  }

  override set(id: string, r: CfDoubleRecord): this {
    this.journal?.push([id, super.get(id)]);
    this.unindex(id);
    super.set(id, r);
    const { byName, perZone } = this.index();
    const key = `${r.zone_id}|${r.name}`;
    (byName.get(key) ?? byName.set(key, new Set()).get(key)!).add(id);
    perZone.set(r.zone_id, (perZone.get(r.zone_id) ?? 0) + 1);
    return this;
  }

  override delete(id: string): boolean {
    this.journal?.push([id, super.get(id)]);
    this.unindex(id);
    return super.delete(id);
  }

  override clear(): void {
    for (const id of [...this.keys()]) this.delete(id);
  }

  /** The zone's records with this name. */
  named(zoneId: string, name: string): CfDoubleRecord[] {
    return [...(this.index().byName.get(`${zoneId}|${name}`) ?? [])].map((id) => super.get(id)!);
  }

  count(zoneId: string): number {
    return this.index().perZone.get(zoneId) ?? 0;
  }

  /** Runs `fn` as one transaction: any throw undoes its writes, in reverse order. */
  atomically<T>(fn: () => T): T {
    const journal: [string, CfDoubleRecord | undefined][] = [];
    this.journal = journal;
    try {
      return fn();
    } catch (err) {
      this.journal = null;
      for (const [id, before] of journal.reverse()) {
        if (before) this.set(id, before);
        else this.delete(id);
      }
      throw err;
    } finally {
      this.journal = null;
    }
  }
}

export class CfStore {
  records = new CfRecordMap();

  constructor(
    readonly zones: CfZone[],
    public limits: StoreLimits,
  ) {}

  zone(id: string): CfZone {
    const zone = this.zones.find((z) => z.id === id);
    // approximation: Cloudflare answers 7003 for an unknown zone identifier
    if (!zone) throw new CfError(404, [{ code: 7003, message: `Could not route to /zones/${id}, perhaps your object identifier is invalid?` }]);
    return zone;
  }

  get(zone: CfZone, id: string): CfDoubleRecord {
    const r = this.records.get(id);
    if (!r || r.zone_id !== zone.id) throw new CfError(404, [{ code: 81044, message: "Record does not exist." }]);
    return r;
  }

  /** Validates and normalises a full record body; `selfId` is excluded from conflict checks. */
  private build(zone: CfZone, body: Body, selfId?: string, base?: CfDoubleRecord): CfDoubleRecord {
    const type = String(body.type ?? base?.type ?? "").toUpperCase();
    if (!TYPES.includes(type)) throw invalid(9000, "DNS record type is invalid."); // approximation
    let name = String(body.name ?? base?.name ?? "").trim().toLowerCase().replace(/\.$/, "");
    if (name === "@" || name === "") name = zone.name;
    if (name !== zone.name && !name.endsWith(`.${zone.name}`)) name = `${name}.${zone.name}`;
    let content = String(body.content ?? base?.content ?? "").trim();
    if (type === "A" && !isIPv4(content)) throw invalid(9005, "Content for A record must be a valid IPv4 address.");
    if (type === "AAAA" && !isIPv6(content)) throw invalid(9006, "Content for AAAA record must be a valid IPv6 address.");
    if (type === "CNAME") {
      content = content.toLowerCase().replace(/\.$/, "");
      if (!/^[a-z0-9_*]([a-z0-9-_]*[a-z0-9])?(\.[a-z0-9_]([a-z0-9-_]*[a-z0-9])?)+$/.test(content)) throw invalid(9007, "Content for CNAME record is invalid.");
    }
    const proxiable = type !== "TXT";
    const proxied = proxiable && Boolean(body.proxied ?? base?.proxied ?? false);
    const ttl = Number(body.ttl ?? base?.ttl ?? 1);
    if (!(ttl === 1 || (Number.isInteger(ttl) && ttl >= 60 && ttl <= 86400))) {
      throw invalid(9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic."); // approximation of the code
    }
    if (proxied && unproxiable(type, content)) throw bad(9003, `Target ${content} is not allowed for a proxied record.`);
    const comment = body.comment === undefined ? (base?.comment ?? null) : body.comment === null || body.comment === "" ? null : String(body.comment);
    if (comment && comment.length > this.limits.commentMax) {
      throw bad(9313, `DNS record comment exceeds the maximum length of ${this.limits.commentMax} characters.`);
    }
    for (const other of this.records.named(zone.id, name)) {
      if (other.id === selfId || other.zone_id !== zone.id || other.name !== name) continue;
      if (other.type === type && other.content === content) {
        throw bad(this.limits.duplicateCode, this.limits.duplicateCode === 81057 ? "Record already exists." : "An identical record already exists.");
      }
      const addr = ["A", "AAAA", "CNAME"];
      if (type === "CNAME" && addr.includes(other.type)) throw bad(81053, "An A, AAAA, or CNAME record with that host already exists.");
      if (other.type === "CNAME" && addr.includes(type)) throw bad(81054, "A CNAME record with that host already exists.");
    }
    const now = new Date().toISOString();
    return {
      id: selfId ?? newId(),
      zone_id: zone.id,
      zone_name: zone.name,
      name,
      type,
      content,
      ttl: proxied ? 1 : ttl,
      proxied,
      proxiable,
      comment,
      tags: Array.isArray(body.tags) ? body.tags.map(String) : (base?.tags ?? []),
      settings: {},
      meta: {},
      created_on: base?.created_on ?? now,
      modified_on: now,
    };
  }

  create(zone: CfZone, body: Body): CfDoubleRecord {
    const r = this.build(zone, body);
    const held = this.records.count(zone.id);
    if (held >= this.limits.recordQuota) throw bad(81045, "Record quota exceeded.");
    this.records.set(r.id, r);
    return r;
  }

  /** PUT overwrites: fields left out return to their defaults. */
  put(zone: CfZone, id: string, body: Body): CfDoubleRecord {
    const old = this.get(zone, id);
    const r = this.build(zone, { comment: null, proxied: false, ttl: 1, tags: [], ...body }, id, { ...old, comment: null, tags: [] });
    this.records.set(id, r);
    return r;
  }

  patch(zone: CfZone, id: string, body: Body): CfDoubleRecord {
    const r = this.build(zone, body, id, this.get(zone, id));
    this.records.set(id, r);
    return r;
  }

  delete(zone: CfZone, id: string): { id: string } {
    this.get(zone, id);
    this.records.delete(id);
    return { id };
  }

  /** Filters of GET /zones/{id}/dns_records (the subset Wharf and its tests use). */
  filter(zone: CfZone, q: Record<string, string>): CfDoubleRecord[] {
    const lc = (v: string | undefined) => v?.toLowerCase().replace(/\.$/, "");
    const name = lc(q["name.exact"] ?? q.name);
    return [...this.records.values()].filter(
      (r) =>
        r.zone_id === zone.id &&
        (!name || r.name === name) &&
        (!q.type || r.type === q.type.toUpperCase()) &&
        (!q["content.exact"] || r.content.toLowerCase() === q["content.exact"].toLowerCase()) &&
        (!q["comment.startswith"] || (r.comment ?? "").toLowerCase().startsWith(q["comment.startswith"].toLowerCase())),
    );
  }

  /** All-or-nothing: run on a copy, keep the copy only when every operation succeeded. */
  batch(zone: CfZone, body: Body) {
    const list = (k: string) => (Array.isArray(body[k]) ? (body[k] as Body[]) : []);
    const [deletes, patches, puts, posts] = ["deletes", "patches", "puts", "posts"].map(list);
    const total = deletes.length + patches.length + puts.length + posts.length;
    const limit = batchLimitOf(zone, this.limits.batchLimit);
    if (total > limit) {
      throw bad(1004, `Batch of ${total} changes exceeds the limit of ${limit} for this zone's plan.`); // approximation
    }
    return this.records.atomically(() => {
      // Cloudflare's documented order: deletes, patches, puts, posts.
      return {
        deletes: deletes.map((d) => {
          const r = this.get(zone, String(d.id));
          this.records.delete(r.id);
          return r;
        }),
        patches: patches.map((p) => this.patch(zone, String(p.id), p)),
        puts: puts.map((p) => this.put(zone, String(p.id), p)),
        posts: posts.map((p) => this.create(zone, p)),
      };
    });
  }
}
