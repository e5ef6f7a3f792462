import { db } from "../db";
import { installationId } from "../secrets";
import { instanceFqdn, normalizeFqdn, recordMarker, type ConsumerType, type RecordOwnerType } from "../naming";
import { targetRecord } from "./target-record";
import type { RecordType } from "./types";
import type { TSettings } from "../settings/schemas";

export interface ExpectedRecord {
  fqdn: string;
  type: RecordType;
  content: string;
  marker: string;
  consumerType: RecordOwnerType;
  consumerId: string;
  consumerName: string;
}

/** Instances in these states serve, so their FQDN is expected in DNS. */
export const EXPECTED_INSTANCE_STATES = ["running", "redeploying", "rolling_back"] as const;

/**
 * Instance states in which an operation is bringing the instance up or switching it:
 * its record may be fresh (written by the operation's hook) and is never
 * planned for deletion, even when the operation's process died (SPEC §13).
 */
export const TRANSITIONAL_STATES = ["deploying", "redeploying", "rolling_back", "starting"] as const;

/**
 * SPEC §9: every instance that is running with a route, plus every standalone
 * proxy, mapped to FQDN → target address. Throws if the consumers cannot be
 * listed, so that callers never mistake "unknown" for "none" (no deletes then).
 */
export async function expectedRecords(settings: TSettings): Promise<(ExpectedRecord & { consumerType: ConsumerType })[]> {
  const [instances, proxies] = await Promise.all([
    db.instance.findMany({ where: { status: { in: [...EXPECTED_INSTANCE_STATES] } }, select: { id: true, name: true, subdomain: true } }),
    db.standaloneProxy.findMany({ select: { id: true, domain: true } }),
  ]);
  const { type, content } = targetRecord(settings.targetAddress);
  const installation = installationId();
  return [
    ...instances.map((i) => ({
      fqdn: instanceFqdn(i.subdomain, settings.baseDomain),
      type, content, marker: recordMarker(installation, "instance", i.id), consumerType: "instance" as const, consumerId: i.id, consumerName: i.name,
    })),
    ...proxies.map((p) => ({
      fqdn: normalizeFqdn(p.domain),
      type, content, marker: recordMarker(installation, "standalone", p.id), consumerType: "standalone" as const, consumerId: p.id, consumerName: p.domain,
    })),
  ];
}
