import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { normalizeFqdn } from "../naming";
import { expectedRecords } from "./expected-records";
import { getSettings } from "../settings/get-settings";
import { ensureConsumerDns, type DnsHookResult } from "./hooks";

/**
 * Ensures the record of the consumer (instance or standalone proxy) that owns
 * `fqdn`, now. Wharf only manages records of its own consumers: a name no
 * consumer has is refused rather than written as an unowned record.
 */
export async function addDnsRecord(opts: { actor: Actor; fqdn: string }): Promise<DnsHookResult & { fqdn: string }> {
  const fqdn = normalizeFqdn(opts.fqdn);
  const settings = await getSettings();
  if (settings.dns.mode !== "managed") throw new AppError("CONFLICT", "DNS is in wildcard mode: there is nothing to add (switch to managed mode in Settings)");
  const consumer = (await expectedRecords(settings)).find((e) => e.fqdn === fqdn);
  if (!consumer) throw new AppError("NOT_FOUND", `fqdn: no running instance or standalone proxy uses ${fqdn}`, { field: "fqdn" });
  const res = await ensureConsumerDns({ consumer: { type: consumer.consumerType, id: consumer.consumerId }, fqdn, settings });
  await recordEvent({ actor: opts.actor, action: "dns.add", target: fqdn, result: res.status === "failed" ? "error" : "ok", message: res.error ?? null });
  return { fqdn, ...res };
}
