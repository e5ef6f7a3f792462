import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listProxies, ROUTE_STATUSES } from "@/lib/standalone-proxies/list-proxies";
import { badQueryOrThrow, DEFAULT_PAGE_SIZE, toSearchParams } from "@/lib/pagination";
import { Card, PageHeader } from "@/components/ui/card";
import { BadQuery } from "@/components/ui/bad-query";
import { Pager, SortHeader } from "@/components/ui/pager";
import { ListFilters } from "@/components/ui/list-filters";
import { CreateProxyForm } from "./proxy-form";
import { ProxyTable } from "./proxy-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Proxies" };

export default async function ProxiesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requirePageUser("viewer");
  const canEdit = actor.role === "admin";
  const params = toSearchParams(await searchParams);
  const page = await listProxies({ params, defaultLimit: DEFAULT_PAGE_SIZE }).catch(badQueryOrThrow);
  const sortProps = page instanceof Error ? null : { current: { sort: page.sort, dir: page.dir }, params, basePath: "/proxies" };
  return (
    <>
      <PageHeader
        title="Standalone proxies"
        description={canEdit ? "Route any domain to any upstream URL." : "Route any domain to any upstream URL. Read-only: your role is viewer."}
      />
      <div className="space-y-6">
        {canEdit && (
          <Card title="New proxy">
            <CreateProxyForm />
          </Card>
        )}
        <ListFilters params={params} selects={[{ name: "route", label: "Route", options: ROUTE_STATUSES }]} placeholder="domain or upstream" />
        {page instanceof Error || !sortProps ? (
          <BadQuery error={page as Error} basePath="/proxies" />
        ) : (
          <div>
            <ProxyTable
              canEdit={canEdit}
              proxies={page.items.map((p) => ({ id: p.id, domain: p.domain, upstream: p.upstream, websockets: p.websockets, forceTls: p.forceTls, route: p.route, dns: p.dns, tls: p.tls }))}
              sortHeaders={{
                domain: <SortHeader label="Domain" sort="domain" className="px-4 py-2" {...sortProps} />,
                upstream: <SortHeader label="Upstream" sort="upstream" {...sortProps} />,
                route: <SortHeader label="Route" sort="route" {...sortProps} />,
              }}
            />
            <Pager page={page} shown={page.items.length} params={params} basePath="/proxies" limit={page.limit} noun="proxies" />
          </div>
        )}
      </div>
    </>
  );
}
