import { consumerKey, holderOperation, tryWithConsumer } from "../consumers/consumer-lease";
import type { ConsumerRef } from "../naming";
import type { ReportLine, SkippedConsumer } from "./report";

/** Where a pass reports the consumers it left to a running operation. */
export interface SkipSink {
  skipped: SkippedConsumer[];
  lines: ReportLine[];
}

/**
 * One consumer's step of a reconcile pass (SPEC §13): `fn` runs under the
 * consumer's lease, taken as "sync" now or not at all; a consumer another
 * operation holds is reported as skipped, never waited for (the next run
 * looks again).
 */
export async function underLease(opts: { consumer: ConsumerRef; name: string; kind: ReportLine["kind"]; report: SkipSink }, fn: () => Promise<void>): Promise<void> {
  const got = await tryWithConsumer({ consumer: opts.consumer, operation: "sync" }, fn);
  if (!("busy" in got)) return;
  const reason = `busy: ${holderOperation(got.busy)}`;
  opts.report.skipped.push({ consumer: consumerKey(opts.consumer), name: opts.name, reason });
  opts.report.lines.push({ kind: opts.kind, name: opts.name, action: "skip", status: "skipped", message: `${reason}: left to the running operation` });
}
