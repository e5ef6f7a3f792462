import { notFound } from "next/navigation";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { isAppError } from "@/lib/errors";
import { getInstance } from "@/lib/instances/get-instance";
import { InstanceDetail } from "@/components/instances/instance-detail";
import { NoProxyNotice } from "@/components/shell/no-proxy-notice";
import { getSettings } from "@/lib/settings/get-settings";

export const dynamic = "force-dynamic";
export const metadata = { title: "Instance" };

export default async function InstancePage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageUser("viewer");
  const { id } = await params;
  const instance = await getInstance(id).catch((err: unknown) => {
    if (isAppError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  });
  const settings = await getSettings();
  return (
    <>
      {!settings.proxy.provider && <NoProxyNotice canEdit={actor.role === "admin"} fqdn={instance.fqdn} />}
      <InstanceDetail initial={JSON.parse(JSON.stringify(instance))} canEdit={actor.role === "admin"} />
    </>
  );
}
