import { requirePageUser } from "@/app/(dashboard)/page-user";
import { DNS_STATUSES, dnsOverview } from "@/lib/dns/overview";
import { DNS_STATUS_LABEL } from "@/lib/dns/status-labels";
import { badQueryOrThrow, DEFAULT_PAGE_SIZE, toSearchParams } from "@/lib/pagination";
import { Pager, SortHeader } from "@/components/ui/pager";
import { BadQuery } from "@/components/ui/bad-query";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { inputClass, buttonClass } from "@/components/ui/styles";
import { DnsTable } from "./dns-table";
import { SyncPanel } from "./sync-panel";

export const dynamic = "force-dynamic";
export const metadata = { title: "DNS" };

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
            {DNS_STATUSES.map((s) => <option key={s} value={s}>{DNS_STATUS_LABEL[s] ?? s}</option>)}
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
          <DnsTable
            canEdit={canEdit}
            headers={{ name: <SortHeader label="Name" sort="fqdn" className="px-4 py-2" {...sortProps} />, status: <SortHeader label="Status" sort="status" {...sortProps} /> }}
            rows={page.items.map((r) => ({
              fqdn: r.fqdn, type: r.type, content: r.content, consumerType: r.consumerType, consumerId: r.consumerId, consumerName: r.consumerName, status: r.status, lastError: r.lastError,
              verified: r.verifiedAt ? `${r.verifiedAt.toISOString().replace("T", " ").slice(0, 19)} UTC` : null,
              deleteAt: r.inLedger ? (r.provider ?? "the provider") : null,
            }))}
          />
        </div>
      )}
      <Pager page={page} shown={page.items.length} params={params} basePath="/dns" limit={page.limit} noun="records" />
    </>
  );
}
