import { requireUser } from "@/lib/auth/actor";
import { listInstances } from "@/lib/deployer/list-instances";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";

export const dynamic = "force-dynamic";
export const metadata = { title: "Instances" };

export default async function InstancesPage() {
  await requireUser("viewer");
  const instances = await listInstances();
  return (
    <>
      <PageHeader title="Instances" description="Containers Wharf deploys from images, each with a subdomain and a route." />
      {instances.length === 0 ? (
        <EmptyState title="No instances yet">Deployed instances appear here with their status, address, route and DNS state.</EmptyState>
      ) : (
        <table className="w-full rounded-lg bg-white text-left text-sm shadow-sm">
          <thead className="text-xs uppercase text-slate-500"><tr><th className="px-4 py-2">Name</th><th>Image</th><th>Address</th><th>Status</th><th>Route</th><th>DNS</th></tr></thead>
          <tbody>
            {instances.map((i) => (
              <tr key={i.id} className="border-t border-slate-100">
                <td className="px-4 py-2 font-medium">{i.name}</td>
                <td className="font-mono text-xs">{i.image}</td>
                <td>{i.fqdn}</td>
                <td><Badge>{i.status}</Badge></td>
                <td><Badge>{i.route.status}</Badge></td>
                <td><Badge>{i.dns.status}</Badge></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
