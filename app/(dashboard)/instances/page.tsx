import Link from "next/link";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listInstances } from "@/lib/deployer/list-instances";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { errorMessage } from "@/lib/errors";
import { listVolumes } from "@/lib/deployer/instance-volumes";
import { VolumesSection } from "@/components/instances/volumes-section";
import { buttonClass } from "@/components/ui/styles";
import { InstancesTable } from "@/components/instances/instances-table";

export const dynamic = "force-dynamic";
export const metadata = { title: "Instances" };

export default async function InstancesPage() {
  const actor = await requirePageUser("viewer");
  const instances = await listInstances();
  // An unreachable engine must not take the page down (SPEC §2): the section says so instead.
  const volumes = await listVolumes().then((v) => ({ list: v, error: undefined }), (err: unknown) => ({ list: [], error: `Volumes unavailable: ${errorMessage(err)}` }));
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
      <Card title="Volumes" className="mt-6"><VolumesSection volumes={volumes.list} canEdit={actor.role === "admin"} error={volumes.error} /></Card>
    </>
  );
}
