import { ensureConsumerDns } from "../dns/hooks";
import type { TSettings } from "../settings/schemas";
import type { DeploymentRecorder } from "./recorder";

/** The instance's DNS record ensured after a route write (best-effort; normally a no-op when nothing changed), recorded as the "dns" step. */
export async function dnsStep(opts: { rec: DeploymentRecorder; instanceId: string; fqdn: string; settings: TSettings }): Promise<void> {
  const { rec, fqdn } = opts;
  const dns = await ensureConsumerDns({ consumer: { type: "instance", id: opts.instanceId }, fqdn, settings: opts.settings });
  await rec.note("dns", dns.status === "failed" ? "failed" : dns.status === "skipped" ? "skipped" : "succeeded", dns.error ?? (dns.status === "skipped" ? "wildcard DNS: nothing to do" : `${fqdn} synced`));
}
