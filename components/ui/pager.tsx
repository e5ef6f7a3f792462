import Link from "next/link";
import { PAGE_SIZES, type TPage, type TSortDir } from "@/lib/pagination";

// Server-rendered paging and sorting links for a keyset-paged list. Every
// link is the current URL with one thing changed, so filters stay in the URL;
// `prefix` scopes the parameters when a page shows two lists (/activity).

type Params = URLSearchParams;

function href(basePath: string, params: Params, prefix: string, changes: Record<string, string | null>): string {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) next.delete(prefix + k);
    else next.set(prefix + k, v);
  }
  const qs = next.toString();
  return qs ? `${basePath}?${qs}` : basePath;
}

/** The parameters of one list on a page showing several: `runs.limit` → `limit`. */
export function scopedParams(params: Params, prefix: string): Params {
  const out = new URLSearchParams();
  for (const [k, v] of params) if (k.startsWith(prefix)) out.append(k.slice(prefix.length), v);
  return out;
}

const linkClass = "rounded border border-slate-300 bg-white px-2 py-1 text-slate-700 hover:bg-slate-50";
const offClass = "rounded border border-slate-200 px-2 py-1 text-slate-300";

export function Pager({ page, shown, params, basePath, prefix = "", limit, noun }: {
  page: Pick<TPage<unknown>, "nextCursor" | "prevCursor" | "total">;
  shown: number;
  params: Params;
  basePath: string;
  prefix?: string;
  limit: number;
  noun: string;
}) {
  const at = (changes: Record<string, string | null>) => href(basePath, params, prefix, changes);
  return (
    <nav className="mt-3 flex flex-wrap items-center justify-between gap-3 text-sm" aria-label={`${noun} pages`} data-testid={`${prefix}pager`}>
      <p className="text-slate-600" data-testid={`${prefix}total`}>
        {shown === 0 ? "None" : `${shown}`} shown of <strong>{page.total.toLocaleString("en")}</strong> {noun}
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-slate-500">Per page</span>
        {PAGE_SIZES.map((n) =>
          n === limit ? (
            <span key={n} className="rounded bg-slate-800 px-2 py-1 text-white" aria-current="true">{n}</span>
          ) : (
            <Link key={n} href={at({ limit: String(n), cursor: null })} className={linkClass}>{n}</Link>
          ),
        )}
        <span className="mx-1 text-slate-300">|</span>
        {page.prevCursor ? <Link href={at({ cursor: null })} className={linkClass}>First</Link> : <span className={offClass}>First</span>}
        {page.prevCursor ? <Link href={at({ cursor: page.prevCursor })} className={linkClass} rel="prev">Previous</Link> : <span className={offClass}>Previous</span>}
        {page.nextCursor ? <Link href={at({ cursor: page.nextCursor })} className={linkClass} rel="next">Next</Link> : <span className={offClass}>Next</span>}
      </div>
    </nav>
  );
}

/** A column header that sorts by `sort`; clicking the current sort flips its direction. */
export function SortHeader({ label, sort, current, params, basePath, prefix = "", className = "" }: {
  label: string;
  sort: string;
  current: { sort: string; dir: TSortDir };
  params: Params;
  basePath: string;
  prefix?: string;
  className?: string;
}) {
  const active = current.sort === sort;
  const dir: TSortDir = active && current.dir === "asc" ? "desc" : "asc";
  return (
    <th className={className} aria-sort={active ? (current.dir === "asc" ? "ascending" : "descending") : undefined}>
      <Link href={href(basePath, params, prefix, { sort, dir, cursor: null })} className="hover:text-slate-800">
        {label}{active ? (current.dir === "asc" ? " ▲" : " ▼") : ""}
      </Link>
    </th>
  );
}
