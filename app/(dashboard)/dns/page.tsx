import { requireUser } from "@/lib/auth/actor";
import { dnsOverview } from "@/lib/reconcile/dns-overview";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";
import { inputClass, buttonClass } from "@/components/ui/styles";

export const dynamic = "force-dynamic";
export const metadata = { title: "DNS" };

export default async function DnsPage({ searchParams }: { searchParams: Promise<{ status?: string; consumer?: string; q?: string }> }) {
  await requireUser("viewer");
  const sp = await searchParams;
  const o = await dnsOverview({ status: sp.status || undefined, consumerType: sp.consumer || undefined, q: sp.q });
  return (
    <>
      <PageHeader
        title="DNS"
        description={o.mode === "wildcard" ? `Wildcard mode: *.${o.baseDomain} covers every instance; no DNS API calls are made.` : `Managed mode via ${o.provider}.`}
      />
      <form className="mb-4 flex flex-wrap items-end gap-3" role="search">
        <label className="text-sm">Status
          <select name="status" defaultValue={sp.status ?? ""} className={inputClass}>
            <option value="">Any</option>
            {["synced", "pending", "failed", "deleting", "missing", "wildcard"].map((s) => <option key={s} value={s}>{s}</option>)}
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
        <button className={buttonClass("secondary")}>Filter</button>
      </form>
      {o.rows.length === 0 ? (
        <EmptyState title="No DNS records">Records appear here for every running instance and standalone proxy.</EmptyState>
      ) : (
        <table className="w-full rounded-lg bg-white text-left text-sm shadow-sm" data-testid="dns-records">
          <thead className="text-xs uppercase text-slate-500">
            <tr><th className="px-4 py-2">Name</th><th>Type</th><th>Content</th><th>Consumer</th><th>Status</th><th>Verified</th></tr>
          </thead>
          <tbody>
            {o.rows.map((r) => (
              <tr key={r.fqdn} className="border-t border-slate-100 align-top">
                <td className="px-4 py-2 font-medium">{r.fqdn}</td>
                <td>{r.type}</td>
                <td className="font-mono text-xs">{r.content}</td>
                <td>{r.consumerType}{r.consumerName && <span className="text-slate-500"> · {r.consumerName}</span>}</td>
                <td>
                  <Badge>{r.status === "wildcard" ? "covered by wildcard" : r.status}</Badge>
                  {r.lastError && <div className="max-w-xs text-xs text-rose-700">{r.lastError}</div>}
                </td>
                <td className="text-xs text-slate-500">{r.verifiedAt ? r.verifiedAt.toLocaleString() : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
