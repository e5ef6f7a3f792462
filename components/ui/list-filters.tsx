import { buttonClass, inputClass } from "./styles";

/**
 * The filter form above a list: GET to the same page, so filters live in the
 * URL; the current sort and page size ride along, the cursor does not (a new
 * filter starts at the first page). `prefix` scopes the fields when a page
 * shows two lists.
 */
export function ListFilters({ params, selects, placeholder, prefix = "", label = "Filter" }: {
  params: URLSearchParams;
  selects: { name: string; label: string; options: readonly string[] }[];
  /** The search box's placeholder; empty: the list has no text search. */
  placeholder: string;
  prefix?: string;
  label?: string;
}) {
  const keep = ["sort", "dir", "limit"].map((k) => prefix + k);
  const own = new Set([...selects.map((s) => prefix + s.name), prefix + "q", prefix + "cursor", ...keep]);
  return (
    <form className="flex flex-wrap items-end gap-3" role="search" aria-label={label}>
      {selects.map((s) => (
        <label key={s.name} className="text-sm">{s.label}
          <select name={prefix + s.name} defaultValue={params.get(prefix + s.name) ?? ""} className={inputClass}>
            <option value="">Any</option>
            {s.options.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
        </label>
      ))}
      {placeholder && (
        <label className="text-sm">Search
          <input name={prefix + "q"} defaultValue={params.get(prefix + "q") ?? ""} className={inputClass} placeholder={placeholder} />
        </label>
      )}
      {keep.map((k) => params.get(k) && <input key={k} type="hidden" name={k} value={params.get(k) ?? ""} />)}
      {/* The other list's parameters on the same page, so filtering one keeps the other where it was. */}
      {[...params].filter(([k]) => !own.has(k)).map(([k, v]) => <input key={k} type="hidden" name={k} value={v} />)}
      <button className={buttonClass("secondary")}>{label}</button>
    </form>
  );
}
