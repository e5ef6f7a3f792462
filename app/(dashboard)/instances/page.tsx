import Link from "next/link";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listInstances } from "@/lib/deployer/list-instances";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { buttonClass } from "@/components/ui/styles";
import { InstancesTable } from "@/components/instances/instances-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Instances" };

export default async function InstancesPage() {
  const actor = await requirePageUser("viewer");
  const instances = await listInstances();
  return (
    <>
      <PageHeader
        title="Instances"
        description="Containers Wharf deploys from images, each with a subdomain and a route."
        actions={actor.role === "admin" ? <Link href="/instances/new" className={buttonClass()}>New instance</Link> : undefined}
      />
      {instances.length === 0 ? (
        <EmptyState title="No instances yet">Deployed instances appear here with their status, address, route and DNS state.</EmptyState>
      ) : (
        <InstancesTable initial={JSON.parse(JSON.stringify(instances))} />
      )}
    </>
  );
}
