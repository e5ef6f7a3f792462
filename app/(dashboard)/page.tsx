import Link from "next/link";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { getOverview } from "@/lib/dashboard/get-overview";
import { Card, PageHeader } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";
import { HealthPanel } from "@/components/shell/health-panel";
import { OrphansCard } from "@/components/shell/orphans-card";
import { listOrphans } from "@/lib/reconcile/find-orphans";
import { getSettings } from "@/lib/settings/get-settings";
import { NoProxyNotice } from "@/components/shell/no-proxy-notice";

export const dynamic = "force-dynamic";
export const metadata = { title: "Dashboard" };

function Stat({ label, value, href, note }: { label: string; value: number; href: string; note?: string }) {
  return (
    <Link href={href} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-sky-300">
      <div className="text-sm text-slate-500">{label}</div>
      <div className="mt-1 text-3xl font-semibold" data-testid={`stat-${label.toLowerCase().replace(/\s+/g, "-")}`}>{value}</div>
      {note && <div className="mt-1 text-xs text-slate-500">{note}</div>}
    </Link>
  );
}

export default async function DashboardPage() {
  const actor = await requirePageUser("viewer");
  const [o, orphans, settings] = await Promise.all([getOverview(), listOrphans(), getSettings()]);
  return (
    <>
      <PageHeader title="Dashboard" />
      {!settings.proxy.provider && <NoProxyNotice canEdit={actor.role === "admin"} />}
      {o.npmIssuing.length > 0 && (
        <div role="alert" className="mb-4 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="npm-issuing-warning">
          <p className="font-medium">
            Nginx Proxy Manager is issuing a certificate for a name it already serves: it takes that proxy host out of nginx until certbot is done (404s or its default page meanwhile). One request at a time; a failed one is retried on the reconciler&apos;s backoff, never in a loop.
          </p>
          <ul className="mt-1 list-disc pl-5">
            {o.npmIssuing.map((i) => (
              <li key={`${i.routeId}:${i.since.toISOString()}`}>
                {i.domains.join(", ")} ({i.routeId}), since {i.since.toLocaleString()}
              </li>
            ))}
          </ul>
        </div>
      )}
      {o.certificates.total > 0 && (
        <div role="alert" className="mb-4 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="certificate-warning">
          <p className="font-medium">{o.certificates.total} certificate(s) failed or expire within 14 days; these consumers are served over HTTP only or soon will be.</p>
          <ul className="mt-1 list-disc pl-5">
            {o.certificates.items.map((c) => (
              <li key={`${c.consumerType}:${c.id}`}>
                <Link className="underline" href={c.consumerType === "instance" ? `/instances/${c.id}` : `/proxies/${c.id}`}>{c.fqdn}</Link>
                {": "}
                {c.status === "failed" ? `${c.error ?? "failed"}${c.retryAt ? ` (retry after ${c.retryAt.toLocaleString()})` : ""}` : `expires ${c.notAfter?.toLocaleString()}`}
              </li>
            ))}
          </ul>
        </div>
      )}
      {o.domains.total > 0 && (
        <div role="alert" className="mb-4 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="domain-warning">
          <p className="font-medium">{o.domains.total} custom domain(s) no longer point here; they are still served until their grace period ends, then taken off the route.</p>
          <ul className="mt-1 list-disc pl-5">
            {o.domains.items.map((d) => (
              <li key={d.domain}>
                <Link className="underline" href={`/instances/${d.instanceId}`}>{d.domain}</Link>
                {`: ${d.reason ?? "misconfigured"}${d.unroutedAt ? ` (unrouted after ${d.unroutedAt.toLocaleString()})` : ""}`}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="grid gap-4 sm:grid-cols-3">
        <Stat label="Instances" value={o.instances.total} href="/instances" note={`${o.instances.byStatus.running ?? 0} running, ${o.instances.byStatus.failed ?? 0} failed`} />
        <Stat label="Standalone proxies" value={o.proxies} href="/proxies" />
        <Stat label="DNS records" value={o.records.total} href="/dns" note={o.records.failed ? `${o.records.failed} failed` : undefined} />
      </div>
      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Card title="Health"><HealthPanel /></Card>
        <Card title="Last sync">
          {o.lastSync ? (
            <p className="text-sm">
              <Badge>{o.lastSync.status}</Badge> {o.lastSync.trigger} · {o.lastSync.startedAt.toLocaleString()} · {o.lastSync.durationMs ?? "—"} ms
            </p>
          ) : (
            <p className="text-sm text-slate-500">No sync has run yet.</p>
          )}
        </Card>
      </div>
      <Card title="Orphans" className="mt-6">
        <OrphansCard orphans={orphans} canEdit={actor.role === "admin"} />
      </Card>
      <Card title="Recent activity" className="mt-6" actions={<Link href="/activity" className="text-sm text-sky-700 underline">All activity</Link>}>
        {o.recent.length === 0 ? (
          <p className="text-sm text-slate-500">Nothing has happened yet.</p>
        ) : (
          <ul className="divide-y divide-slate-100 text-sm">
            {o.recent.map((e) => (
              <li key={e.id} className="flex items-center justify-between gap-4 py-2">
                <span><span className="font-medium">{e.actorLabel}</span> {e.action} {e.target && <span className="text-slate-500">{e.target}</span>}</span>
                <span className="flex items-center gap-2 text-xs text-slate-500"><Badge>{e.result}</Badge>{e.createdAt.toLocaleString()}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
