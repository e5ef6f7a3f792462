import { requireUser } from "@/lib/auth/actor";
import { listProxies } from "@/lib/proxies/list-proxies";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";

export const dynamic = "force-dynamic";
export const metadata = { title: "Proxies" };

export default async function ProxiesPage() {
  await requireUser("viewer");
  const proxies = await listProxies();
  return (
    <>
      <PageHeader title="Standalone proxies" description="Route any domain to any upstream URL." />
      {proxies.length === 0 ? (
        <EmptyState title="No standalone proxies yet">Standalone proxies route a domain to an upstream such as http://192.0.2.10:8080.</EmptyState>
      ) : (
        <table className="w-full rounded-lg bg-white text-left text-sm shadow-sm">
          <thead className="text-xs uppercase text-slate-500"><tr><th className="px-4 py-2">Domain</th><th>Upstream</th><th>Route</th></tr></thead>
          <tbody>
            {proxies.map((p) => (
              <tr key={p.id} className="border-t border-slate-100">
                <td className="px-4 py-2 font-medium">{p.domain}</td>
                <td className="font-mono text-xs">{p.upstream}</td>
                <td><Badge>{p.routeStatus}</Badge></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
