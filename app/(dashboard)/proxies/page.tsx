import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listProxies } from "@/lib/proxies/list-proxies";
import { Card, PageHeader } from "@/components/ui/card";
import { CreateProxyForm } from "./proxy-form";
import { ProxyTable } from "./proxy-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Proxies" };

export default async function ProxiesPage() {
  const actor = await requirePageUser("viewer");
  const canEdit = actor.role === "admin";
  const proxies = await listProxies();
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
        <ProxyTable
          canEdit={canEdit}
          proxies={proxies.map((p) => ({ id: p.id, domain: p.domain, upstream: p.upstream, websockets: p.websockets, forceTls: p.forceTls, route: p.route, dns: p.dns, tls: p.tls, url: p.url }))}
        />
      </div>
    </>
  );
}
