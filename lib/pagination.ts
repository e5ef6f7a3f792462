import { AppError } from "./errors";

// One way to page a list, shared by every list API and page (SPEC §10):
// `limit` (1..500) and an opaque `cursor` in, `{items, nextCursor, total}`
// out. Pages are keyset pages: a cursor holds the sort key and id of the
// row it continues from, never an offset, so page N costs the same as page 1
// (an index seek) and a row deleted since the cursor was made changes
// nothing: the next page starts after where that row was.

export const MAX_LIMIT = 500;
export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;
/** An API client that sends no `limit` gets this many rows. */
export const API_DEFAULT_LIMIT = 100;

export type TSortDir = "asc" | "desc";
export type TSortType = "string" | "date" | "number";
/** A sortable column: the Prisma field and the type its cursor value is decoded to. */
export type TSortSpec = { field: string; type: TSortType };

/** A decoded cursor: the sort it belongs to, the key it continues from, and the direction of travel. */
export interface TCursor {
  sort: string;
  dir: TSortDir;
  value: string | number;
  id: string;
  /** true: the page before this key (a "previous" link). */
  back: boolean;
}

export interface TListQuery<S extends string = string> {
  limit: number;
  sort: S;
  dir: TSortDir;
  cursor: TCursor | null;
}

export interface TPage<T> {
  items: T[];
  nextCursor: string | null;
  /** Addition to SPEC §10: the cursor of the page before this one, null on the first page. */
  prevCursor: string | null;
  total: number;
  /** Additions: the page size and order this page was read with. */
  limit: number;
  sort: string;
  dir: TSortDir;
}

export function encodeCursor(c: TCursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.dir, c.value, c.id, c.back ? 1 : 0])).toString("base64url");
}

function badCursor(why: string): AppError {
  return new AppError("VALIDATION", `cursor: ${why}`, { field: "cursor" });
}

export function decodeCursor(raw: string): TCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw badCursor("is not a cursor this API returned");
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) throw badCursor("is not a cursor this API returned");
  const [sort, dir, value, id, back] = parsed as unknown[];
  if (typeof sort !== "string" || (dir !== "asc" && dir !== "desc") || (typeof value !== "string" && typeof value !== "number") || typeof id !== "string" || (back !== 0 && back !== 1)) {
    throw badCursor("is not a cursor this API returned");
  }
  return { sort, dir, value, id, back: back === 1 };
}

/** A query parameter that may appear once; an empty value counts as absent. */
export function param(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw new AppError("VALIDATION", `${name}: may be given once`, { field: name });
  return all[0] ? all[0] : undefined;
}

/** A filter that must be one of `allowed`, or absent. */
export function enumParam<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = param(params, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new AppError("VALIDATION", `${name}: must be one of ${allowed.join(", ")}`, { field: name });
  return v as T;
}

/** Free-text filter, trimmed, at most 200 characters. */
export function textParam(params: URLSearchParams, name = "q"): string | undefined {
  const v = param(params, name)?.trim();
  if (!v) return undefined;
  if (v.length > 200) throw new AppError("VALIDATION", `${name}: at most 200 characters`, { field: name });
  return v;
}

/**
 * `limit`, `cursor`, `sort` and `dir` from a query string. A bad value is a
 * 400 naming the parameter; a cursor made for another sort is refused rather
 * than misread.
 */
export function parseListQuery<S extends string>(
  params: URLSearchParams,
  opts: { sorts: readonly S[]; defaultSort: S; defaultDir?: TSortDir; defaultLimit?: number },
): TListQuery<S> {
  const rawLimit = param(params, "limit");
  let limit = opts.defaultLimit ?? DEFAULT_PAGE_SIZE;
  if (rawLimit !== undefined) {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT) {
      throw new AppError("VALIDATION", `limit: must be an integer from 1 to ${MAX_LIMIT}`, { field: "limit" });
    }
    limit = Number(rawLimit);
  }
  const sort = enumParam(params, "sort", opts.sorts) ?? opts.defaultSort;
  const dir = enumParam(params, "dir", ["asc", "desc"] as const) ?? opts.defaultDir ?? "asc";
  const rawCursor = param(params, "cursor");
  const cursor = rawCursor === undefined ? null : decodeCursor(rawCursor);
  if (cursor && (cursor.sort !== sort || cursor.dir !== dir)) throw badCursor(`belongs to another order than sort=${sort}&dir=${dir}`);
  return { limit, sort, dir, cursor };
}

/** Same, from a page's searchParams object (Next passes string | string[]). */
export function toSearchParams(sp: Record<string, string | string[] | undefined>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) out.append(k, one);
  return out;
}

function cursorValue(v: unknown, type: TSortType): string | number {
  if (type === "date") return (v as Date).toISOString();
  if (type === "number") return Number(v);
  return String(v);
}

/** The cursor's key as the column's type; a value of another type (a forged cursor) is a 400, never a query error. */
export function fromCursorValue(v: string | number, type: TSortType): string | number | Date {
  if (type === "date") {
    const d = typeof v === "string" && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v) ? new Date(v) : new Date(Number.NaN);
    if (Number.isNaN(d.getTime())) throw badCursor("is not a cursor this API returned");
    return d;
  }
  if (type === "number" && (typeof v !== "number" || !Number.isFinite(v))) throw badCursor("is not a cursor this API returned");
  if (type === "string" && typeof v !== "string") throw badCursor("is not a cursor this API returned");
  return v;
}

/**
 * The rows strictly after (field, id) = (value, cursorId) in `dir` order, as a
 * Prisma where. Written as `field >= v AND (field > v OR id > i)` rather
 * than an OR of two ranges so that SQLite seeks the sort index to `v` and
 * still reads it in order.
 */
export function keysetWhere(field: string, dir: TSortDir, value: unknown, id: string): Record<string, unknown> {
  const [ge, gt] = dir === "asc" ? ["gte", "gt"] : ["lte", "lt"];
  if (field === "id") return { id: { [gt]: id } };
  return { AND: [{ [field]: { [ge]: value } }, { OR: [{ [field]: { [gt]: value } }, { id: { [gt]: id } }] }] };
}

type FindArgs = { where: Record<string, unknown>; orderBy: Record<string, TSortDir>[]; take: number };

/**
 * One keyset page of a Prisma model: `limit + 1` rows in (sort, id) order
 * from the cursor, and the filtered total. `where` holds the filters only.
 */
export async function paginate<R extends { id: string }>(opts: {
  query: TListQuery;
  sorts: Record<string, TSortSpec>;
  where: Record<string, unknown>;
  findMany: (args: FindArgs) => Promise<R[]>;
  count: (args: { where: Record<string, unknown> }) => Promise<number>;
}): Promise<TPage<R>> {
  const { limit, sort, dir, cursor } = opts.query;
  const spec = opts.sorts[sort];
  if (!spec) throw new AppError("VALIDATION", `sort: must be one of ${Object.keys(opts.sorts).join(", ")}`, { field: "sort" });
  const back = cursor?.back ?? false;
  // Travelling backwards reads the reversed order from the cursor, then flips the rows.
  const readDir: TSortDir = back ? (dir === "asc" ? "desc" : "asc") : dir;
  const where = cursor ? { AND: [opts.where, keysetWhere(spec.field, readDir, fromCursorValue(cursor.value, spec.type), cursor.id)] } : opts.where;
  const orderBy = spec.field === "id" ? [{ id: readDir }] : [{ [spec.field]: readDir }, { id: readDir }];
  const [rows, total] = await Promise.all([opts.findMany({ where, orderBy, take: limit + 1 }), opts.count({ where: opts.where })]);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (back) page.reverse();
  const at = (r: R | undefined, isBack: boolean) =>
    r ? encodeCursor({ sort, dir, value: cursorValue((r as Record<string, unknown>)[spec.field], spec.type), id: r.id, back: isBack }) : null;
  // Forward: a next page exists when a row beyond the page was read; a previous one whenever we came from a cursor.
  // Backward: the mirror image.
  const nextCursor = back ? (cursor ? at(page.at(-1), false) : null) : more ? at(page.at(-1), false) : null;
  const prevCursor = back ? (more ? at(page[0], true) : null) : cursor ? at(page[0], true) : null;
  return { items: page, nextCursor, prevCursor, total, limit, sort, dir };
}

/** A VALIDATION error for a page to show instead of its list, or rethrows anything else. */
export function badQueryOrThrow(err: unknown): AppError {
  if (err instanceof AppError && err.code === "VALIDATION") return err;
  throw err;
}

/** Maps a page's rows, keeping its cursors and total. */
export function mapPage<A, B>(page: TPage<A>, fn: (a: A) => B): TPage<B> {
  return { ...page, items: page.items.map(fn) };
}
