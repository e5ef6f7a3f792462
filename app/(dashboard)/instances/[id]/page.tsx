import { notFound } from "next/navigation";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { isAppError } from "@/lib/errors";
import { getInstance } from "@/lib/deployer/get-instance";
import { InstanceDetail } from "@/components/instances/instance-detail";

export const dynamic = "force-dynamic";
export const metadata = { title: "Instance" };

export default async function InstancePage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageUser("viewer");
  const { id } = await params;
  const instance = await getInstance(id).catch((err: unknown) => {
    if (isAppError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  });
  return <InstanceDetail initial={JSON.parse(JSON.stringify(instance))} canEdit={actor.role === "admin"} />;
}
