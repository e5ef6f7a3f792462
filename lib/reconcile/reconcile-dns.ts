import { db } from "../db";
import { errorMessage } from "../errors";
import { acquireConsumerLeases, consumerKey, holderOperation } from "../consumers/consumer-lease";
import { normalizeFqdn, type ConsumerRef } from "../naming";
import { installationId } from "../secrets";
import type { DnsProvider } from "../dns/types";
import type { operationLogger } from "../logger";
import type { TSettings } from "../settings/schemas";
import { applyPlan } from "../dns/apply-plan";
import { DOMAIN_OWNER } from "../domains/domain-dns";
import { expectedRecords, TRANSITIONAL_STATES, type ExpectedRecord } from "../dns/expected-records";
import { planReconcile, type Plan } from "../dns/reconcile-plan";
import type { ReportLine, SyncReport } from "./report";

/**
 * The DNS pass (SPEC §9, §13). It takes the consumer leases of every
 * consumer it may touch in one go (busy ones are skipped and reported), and
 * only then reads the consumers, the ledger and the provider, so the plan is
 * made from state no operation can change under it. Records of consumers it
 * does not hold (busy, or created after the leases were taken) are left out
 * of the plan entirely: neither created, changed nor deleted. Consumers in a
 * transitional state (a job that died mid-deploy) are never planned for deletion.
 */
export async function reconcileDns(o: { settings: TSettings; provider: DnsProvider; dryRun: boolean; force: boolean; report: SyncReport; op: ReturnType<typeof operationLogger> }): Promise<void> {
  const { settings, provider, report } = o;
  const leases = await acquireConsumerLeases(await consumerRefs(provider.type), "sync");
  try {
    // Read and planned in a function of its own: the consumers, the ledger and the listing (100,000
    // rows each at scale) are garbage once the plan exists, not held through the provider calls.
    const plan = await readAndPlan({ settings, provider, held: leases.held, force: o.force, op: o.op });
    // Only the plan needed them (the leases are released by holder): 100,000 keys not kept through the provider calls.
    leases.held.clear();
    for (const [key, holder] of leases.busy) {
      const reason = `busy: ${holderOperation(holder)}`;
      report.skipped.push({ consumer: key, name: key, reason });
      report.lines.push({ kind: "dns", name: key, action: "skip", status: "skipped", message: `${reason}: its records are left to the running operation` });
    }
    report.alreadySynced = plan.alreadySynced.length;
    report.foreign = plan.foreign.length;
    report.blocked = plan.blocked?.reason ?? null;
    append(report.lines, foreignLines(plan));
    append(report.lines, blockedLines(plan));
    if (o.dryRun) {
      append(report.lines, plannedLines(plan));
      report.created = plan.creates.length;
      report.updated = plan.updates.length;
      report.deleted = plan.deletes.length;
    } else {
      const applied = await applyPlan({ plan, provider });
      Object.assign(report, { created: applied.created, updated: applied.updated, deleted: applied.deleted, failed: applied.failed });
      append(report.lines, applied.lines);
    }
  } catch (err) {
    report.failed++;
    report.lines.push({ kind: "dns", name: provider.type, action: "synced", status: "failed", message: errorMessage(err) });
  } finally {
    await leases.release();
  }
}

/**
 * Custom domains' CNAMEs (owner `domain`) live in other zones of the
 * provider and are kept by the domain pass under their instance's lease
 * (lib/domains/domain-dns.ts): this pass neither plans nor forgets them.
 */
const DOMAIN_RECORDS = DOMAIN_OWNER;

/** Every consumer the pass may touch: instances, proxies, and the ledger's (possibly gone) consumers. */
async function consumerRefs(providerType: string): Promise<ConsumerRef[]> {
  const [instances, proxies, ledgerConsumers] = await Promise.all([
    db.instance.findMany({ select: { id: true } }),
    db.standaloneProxy.findMany({ select: { id: true } }),
    db.dnsRecord.findMany({ where: { provider: providerType, consumerType: { not: DOMAIN_RECORDS } }, select: { consumerType: true, consumerId: true }, distinct: ["consumerType", "consumerId"] }),
  ]);
  return [
    ...instances.map((i) => ({ type: "instance" as const, id: i.id })),
    ...proxies.map((p) => ({ type: "standalone" as const, id: p.id })),
    ...ledgerConsumers.map((l) => ({ type: l.consumerType as ConsumerRef["type"], id: l.consumerId })),
  ];
}

/** The consumers, ledger and provider, read under the leases, and the plan for the consumers held. */
async function readAndPlan(o: { settings: TSettings; provider: DnsProvider; held: Set<string>; force: boolean; op: ReturnType<typeof operationLogger> }): Promise<Plan> {
  const { settings, provider } = o;
  let expected: ExpectedRecord[] = [];
  let consumersListed = true;
  try {
    expected = await expectedRecords(settings);
  } catch (err) {
    consumersListed = false;
    o.op.fail("consumers", err);
  }
  const [records, ledger, transitional] = await Promise.all([
    provider.listRecords(),
    db.dnsRecord.findMany({ where: { provider: provider.type, consumerType: { not: DOMAIN_RECORDS } }, select: { fqdn: true, type: true, content: true, providerRecordId: true, consumerType: true, consumerId: true, status: true } }),
    db.instance.findMany({ where: { status: { in: [...TRANSITIONAL_STATES] } }, select: { id: true } }),
  ]);
  const mine = (c: { consumerType: string; consumerId: string }) => o.held.has(`${c.consumerType}:${c.consumerId}`);
  // Names of consumers not held: nothing at them is planned.
  const outside = new Set<string>();
  for (const x of expected) if (!mine(x)) outside.add(normalizeFqdn(x.fqdn));
  for (const x of ledger) if (!mine(x)) outside.add(normalizeFqdn(x.fqdn));
  return planReconcile(
    expected.filter(mine),
    records.filter((r) => !outside.has(normalizeFqdn(r.fqdn))),
    ledger.filter(mine),
    {
      ...provider.recordOptions(settings.dns), hasMarkers: provider.hasMarkers, installation: installationId(), consumersListed, force: o.force,
      keepConsumers: new Set(transitional.map((i) => consumerKey({ type: "instance", id: i.id }))),
    },
  );
}

/** push(...items) passes every item as an argument and overflows the stack past ~100,000. */
function append<T>(list: T[], items: T[]) {
  for (const item of items) list.push(item);
}

const plannedLines = (p: Plan): ReportLine[] => [
  ...p.creates.map((c): ReportLine => ({ kind: "dns", name: c.fqdn, action: "create", status: "planned", message: `${c.record.type} ${c.record.content}` })),
  ...p.updates.map((u): ReportLine => ({ kind: "dns", name: u.fqdn, action: "update", status: "planned", message: `${u.from} → ${u.record.content}` })),
  ...p.deletes.map((d): ReportLine => ({ kind: "dns", name: d.fqdn, action: "delete", status: "planned", message: d.reason })),
  ...p.forget.map((f): ReportLine => ({ kind: "dns", name: f.fqdn, action: "forget", status: "planned", message: f.reason })),
];
const foreignLines = (p: Plan): ReportLine[] =>
  p.foreign.map((f) => ({ kind: "dns", name: f.fqdn, action: "foreign", status: "skipped", message: `${f.type} ${f.content} (${f.reason}): not Wharf's, left untouched` }));
const blockedLines = (p: Plan): ReportLine[] =>
  (p.blocked?.deletes ?? []).map((d) => ({ kind: "dns", name: d.fqdn, action: "blocked", status: "skipped", message: p.blocked!.reason }));
