import type { Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { ensureCertificate } from "../tls/ensure-certificate";
import { ensureInstanceRoute } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";

/**
 * After route and DNS, with the instance already `running` over HTTP: the
 * certificate, recorded as its own deploy step. Its outcome never fails the
 * deploy (SPEC §7: certificate status is separate from `running`).
 */
export async function certificateStep(opts: { rec: DeploymentRecorder; instance: { id: string; subdomain: string }; fqdn: string; upstream: Upstream; settings: TSettings; signal: AbortSignal }) {
  const { rec, settings } = opts;
  const outcome = await ensureCertificate({
    consumer: { type: "instance", id: opts.instance.id },
    fqdn: opts.fqdn,
    settings,
    signal: opts.signal,
    repushRoute: async () => void (await ensureInstanceRoute({ instance: opts.instance, upstream: opts.upstream, settings })),
  });
  if (outcome.status === "off") await rec.note("certificate", "skipped", settings.tls.mode === "off" ? "TLS is off in the settings" : "HTTPS is off for this instance");
  else if (outcome.status === "issued") await rec.note("certificate", "succeeded", `${opts.fqdn}: issued by ${outcome.issuer}, valid until ${outcome.notAfter!.toISOString()}`);
  else await rec.note("certificate", "failed", `${opts.fqdn}: ${outcome.error ?? outcome.status}${outcome.retryAt ? `; Wharf retries after ${outcome.retryAt.toISOString()}` : ""}`);
  return outcome;
}
