import Link from "next/link";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { INSTANCE_STATES } from "@/lib/lifecycle/states";
import { listInstances } from "@/lib/instances/list-instances";
import { errorMessage } from "@/lib/errors";
import { listVolumes } from "@/lib/deployer/instance-volumes";
import { VolumesSection } from "@/components/instances/volumes-section";
import { badQueryOrThrow, DEFAULT_PAGE_SIZE, toSearchParams } from "@/lib/pagination";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { buttonClass } from "@/components/ui/styles";
import { BadQuery } from "@/components/ui/bad-query";
import { ListFilters } from "@/components/ui/list-filters";
import { Pager, SortHeader } from "@/components/ui/pager";
import { InstancesTable } from "@/components/instances/instances-table";
import { instanceRow } from "@/components/instances/instance-row";

export const dynamic = "force-dynamic";
export const metadata = { title: "Instances" };

export default async function InstancesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requirePageUser("viewer");
  // An unreachable engine must not take the page down (SPEC §2): the section says so instead.
  const volumes = await listVolumes().then(
    (v) => ({ list: v.volumes, unavailable: v.unavailable, error: undefined }),
    (err: unknown) => ({ list: [], unavailable: [], error: `Volumes unavailable: ${errorMessage(err)}` }),
  );
  const params = toSearchParams(await searchParams);
  const page = await listInstances({ params, defaultLimit: DEFAULT_PAGE_SIZE }).catch(badQueryOrThrow);
  const filtered = params.has("status") || params.has("q");
  let body: React.ReactNode;
  if (page instanceof Error) body = <BadQuery error={page} basePath="/instances" />;
  else if (page.total === 0 && !filtered) body = <EmptyState title="No instances yet">Deployed instances appear here with their status, address, route and DNS state.</EmptyState>;
  else {
    const sortProps = { current: { sort: page.sort, dir: page.dir }, params, basePath: "/instances" };
    // The live table polls this same page: same filters, order, size and cursor.
    const query = new URLSearchParams(params);
    query.set("limit", String(page.limit));
    body = (
      <>
        <InstancesTable
          key={query.toString()}
          initial={JSON.parse(JSON.stringify(page.items.map(instanceRow)))}
          query={query.toString()}
          sortHeaders={{
            name: <SortHeader label="Name" sort="name" className="px-4 py-2" {...sortProps} />,
            image: <SortHeader label="Image" sort="image" {...sortProps} />,
            status: <SortHeader label="Status" sort="status" {...sortProps} />,
          }}
        />
        <Pager page={page} shown={page.items.length} params={params} basePath="/instances" limit={page.limit} noun="instances" />
      </>
    );
  }
  return (
    <>
      <PageHeader
        title="Instances"
        description="Containers Wharf deploys from images, each with a subdomain and a route."
        actions={actor.role === "admin" ? <Link href="/instances/new" className={buttonClass()}>New instance</Link> : undefined}
      />
      <div className="mb-4">
        <ListFilters params={params} selects={[{ name: "status", label: "Status", options: INSTANCE_STATES.filter((s) => s !== "removed") }]} placeholder="name, image or subdomain" />
      </div>
      {body}
      <Card title="Volumes" className="mt-6"><VolumesSection volumes={volumes.list} unavailable={volumes.unavailable} canEdit={actor.role === "admin"} error={volumes.error} /></Card>
    </>
  );
}
