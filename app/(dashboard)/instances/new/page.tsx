import { requirePageUser } from "@/app/(dashboard)/page-user";
import { getSettings } from "@/lib/settings/get-settings";
import { PageHeader } from "@/components/ui/card";
import { NewInstanceForm } from "./new-instance-form";
import { listServers } from "@/lib/servers/servers";

export const dynamic = "force-dynamic";
export const metadata = { title: "New instance" };

export default async function NewInstancePage({ searchParams }: { searchParams: Promise<{ volume?: string; server?: string }> }) {
  await requirePageUser("admin");
  const settings = await getSettings();
  // The remote servers to choose from (SPEC §16); with none, the form has no server field and instances go to local.
  const servers = (await listServers()).filter((s) => !s.builtIn).map((s) => ({ name: s.name, status: s.status, transport: s.transport, kind: s.kind }));
  // "Attach" on a kept volume lands here with ?volume=<name> (and ?server=<name> for a remote one): the mount line is prefilled, the target left to the operator.
  const { volume, server } = await searchParams;
  const initialServer = servers.some((s) => s.name === server) ? server : undefined;
  const spec = { mounts: volume && /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(volume) ? `${volume}:/data` : "", memoryMb: settings.limits.memoryMb ?? "", cpus: settings.limits.cpus ?? "", pidsLimit: settings.limits.pidsLimit ?? "", reservationMemoryMb: "", reservationCpus: "", command: "", entrypoint: "", deployStrategy: "blue-green" };
  return (
    <>
      <PageHeader title="New instance" description="Deploy a container from an image. It gets <subdomain>.<base domain> and a route." />
      <NewInstanceForm baseDomain={settings.baseDomain} spec={spec} servers={servers} initialServer={initialServer} />
    </>
  );
}
