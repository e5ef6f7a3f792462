import { db } from "../db";

/**
 * Retention for the outbox: dispatched events older than the cutoff with no
 * delivery still pending go (their deliveries with them, ON DELETE CASCADE),
 * and so do old "Send test" deliveries. Pending events are never pruned.
 */
export async function pruneNotifications(cutoff: Date): Promise<number> {
  const events = await db.notificationEvent.deleteMany({
    where: { status: "dispatched", lastAt: { lt: cutoff }, deliveries: { none: { status: "pending" } } },
  });
  const tests = await db.notificationDelivery.deleteMany({ where: { eventId: null, createdAt: { lt: cutoff } } });
  return events.count + tests.count;
}
