// Child process for the notification crash test. `emit`: records a state
// change and its outbox event in one transaction, prints "EMITTED", then
// hangs until killed (no worker runs here). `serve`: starts the delivery
// worker and prints "SERVING"; it delivers whatever the outbox holds.
const { ensureStarted } = await import("../../lib/startup");
await ensureStarted();
const mode = process.argv[2];
if (mode === "emit") {
  const { db } = await import("../../lib/db");
  const { emitEvent } = await import("../../lib/outbox/emit-event");
  const run = await db.$transaction(async (tx) => {
    const row = await tx.syncRun.create({ data: { trigger: "cli", status: "failed", error: "provider unreachable", finishedAt: new Date() } });
    await emitEvent(tx, { event: "sync.failed", path: "/activity", message: `sync ${row.id} failed: provider unreachable` });
    return row;
  });
  console.log(`EMITTED ${run.id}`);
} else {
  const { startNotifier } = await import("../../lib/notifications/worker");
  startNotifier();
  console.log("SERVING");
}
await new Promise(() => {});
export {};
