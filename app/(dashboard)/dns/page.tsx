import Link from "next/link";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { DNS_STATUSES, dnsOverview, type DnsRow } from "@/lib/reconcile/dns-overview";
import { badQueryOrThrow, DEFAULT_PAGE_SIZE, toSearchParams } from "@/lib/pagination";
import { Pager, SortHeader } from "@/components/ui/pager";
import { BadQuery } from "@/components/ui/bad-query";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { Badge, type Tone } from "@/components/ui/badge";
import { inputClass, buttonClass } from "@/components/ui/styles";
import { DeleteRecordButton } from "./delete-record-button";
import { SyncPanel } from "./sync-panel";

export const dynamic = "force-dynamic";
export const metadata = { title: "DNS" };

const STATUS_LABEL: Record<string, string> = { wildcard: "covered by wildcard" };
const STATUS_TONE: Record<string, Tone> = { missing: "amber", wildcard: "blue" };

function Consumer({ row }: { row: DnsRow }) {
  const href = row.consumerType === "instance" ? `/instances/${row.consumerId}` : `/proxies/${row.consumerId}`;
  const kind = row.consumerType === "instance" ? "Instance" : "Proxy";
  return (
    <>
      <span className="text-slate-500">{kind} </span>
      {row.consumerName ? <Link href={href} prefetch={false} className="text-sky-700 hover:underline">{row.consumerName}</Link> : <span className="text-slate-400">(gone)</span>}
    </>
  );
}

export default async function DnsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requirePageUser("viewer");
  const canEdit = actor.role === "admin";
  const params = toSearchParams(await searchParams);
  const sp = Object.fromEntries(params) as Record<string, string | undefined>;
  const result = await dnsOverview({ params, defaultLimit: DEFAULT_PAGE_SIZE }).catch(badQueryOrThrow);
  if (result instanceof Error) return <><PageHeader title="DNS" /><BadQuery error={result} basePath="/dns" /></>;
  const o = result;
  const { page } = o;
  const sortProps = { current: { sort: page.sort, dir: page.dir }, params, basePath: "/dns" };
  const description =
    o.mode === "wildcard"
      ? `Wildcard mode: *.${o.baseDomain} covers every instance; no DNS API calls are made.`
      : `Managed mode via ${o.provider}. Wharf only changes records in its ledger.`;
  return (
    <>
      <PageHeader title="DNS" description={canEdit ? description : `${description} Read-only: your role is viewer.`} />
      <SyncPanel canEdit={canEdit} />
      <form className="mb-4 flex flex-wrap items-end gap-3" role="search">
        <label className="text-sm">Status
          <select name="status" defaultValue={sp.status ?? ""} className={inputClass}>
            <option value="">Any</option>
            {DNS_STATUSES.map((s) => <option key={s} value={s}>{STATUS_LABEL[s] ?? s}</option>)}
          </select>
        </label>
        <label className="text-sm">Consumer
          <select name="consumer" defaultValue={sp.consumer ?? ""} className={inputClass}>
            <option value="">Any</option>
            <option value="instance">Instances</option>
            <option value="standalone">Standalone proxies</option>
          </select>
        </label>
        <label className="text-sm">Search
          <input name="q" defaultValue={sp.q ?? ""} className={inputClass} placeholder="name or content" />
        </label>
        {sp.sort && <input type="hidden" name="sort" value={sp.sort} />}
        {sp.dir && <input type="hidden" name="dir" value={sp.dir} />}
        {sp.limit && <input type="hidden" name="limit" value={sp.limit} />}
        <button className={buttonClass("secondary")}>Filter</button>
      </form>
      {page.items.length === 0 ? (
        <EmptyState title="No DNS records">Records appear here for every running instance and standalone proxy.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg bg-white shadow-sm">
          <table className="list-table" data-testid="dns-records">
            <thead>
              <tr>
                <SortHeader label="Name" sort="fqdn" className="px-4 py-2" {...sortProps} /><th>Type</th><th>Content</th><th>Consumer</th>
                <SortHeader label="Status" sort="status" {...sortProps} /><th>Last error</th><th>Verified</th>
                {canEdit && <th className="px-4"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr key={r.fqdn} data-fqdn={r.fqdn}>
                  <td className="font-medium">{r.fqdn}</td>
                  <td>{r.type}</td>
                  <td className="font-mono text-xs">{r.content}</td>
                  <td><Consumer row={r} /></td>
                  <td data-testid="dns-status"><Badge tone={STATUS_TONE[r.status]}>{STATUS_LABEL[r.status] ?? r.status}</Badge></td>
                  <td className="max-w-xs text-xs text-rose-700">{r.lastError ?? ""}</td>
                  <td className="text-xs text-slate-500">{r.verifiedAt ? r.verifiedAt.toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—"}</td>
                  {canEdit && <td>{r.inLedger && <DeleteRecordButton fqdn={r.fqdn} provider={r.provider ?? "the provider"} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} shown={page.items.length} params={params} basePath="/dns" limit={page.limit} noun="records" />
    </>
  );
}
