import { requirePageUser } from "@/app/(dashboard)/page-user";
import { getSettings } from "@/lib/settings/get-settings";
import { PageHeader } from "@/components/ui/card";
import { NewInstanceForm } from "./new-instance-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "New instance" };

export default async function NewInstancePage() {
  await requirePageUser("admin");
  const settings = await getSettings();
  return (
    <>
      <PageHeader title="New instance" description="Deploy a container from an image. It gets <subdomain>.<base domain> and a route." />
      <NewInstanceForm baseDomain={settings.baseDomain} />
    </>
  );
}
