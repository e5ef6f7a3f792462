import { db } from "../db";
import { env } from "../env";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { openChannel } from "./channel-config";
import { buildMessage } from "./format-message";
import { getPublicUrl } from "./public-url";
import { observeNotification } from "../metrics/registry";
import { sendToChannel } from "./send";

/** Attempts before a delivery is marked failed: with the default 5 s base, the last one is ~10 minutes after the first. */
export const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 3_600_000;
const BATCH = 100;

export function backoffMs(attempts: number, base = env().WHARF_NOTIFY_BACKOFF_MS): number {
  return Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, attempts - 1));
}

function wants(events: "all" | string[], event: string): boolean {
  return events === "all" || events.includes(event);
}

/**
 * Fans each event whose fold window is over out to the enabled channels that
 * take it: one delivery row per channel, written in the same transaction that
 * marks the event dispatched, so an event is fanned out once even across a
 * crash. Returns the number of events dispatched.
 */
export async function dispatchDueEvents(now = new Date()): Promise<number> {
  const due = await db.notificationEvent.findMany({ where: { status: "pending", dueAt: { lte: now } }, orderBy: { dueAt: "asc" }, take: BATCH });
  if (!due.length) return 0;
  const channels = (await db.notificationChannel.findMany({ where: { enabled: true } })).map((c) => ({ id: c.id, events: JSON.parse(c.events) as "all" | string[] }));
  let n = 0;
  for (const e of due) {
    await db.$transaction(async (tx) => {
      const claimed = await tx.notificationEvent.updateMany({ where: { id: e.id, status: "pending" }, data: { status: "dispatched" } });
      if (claimed.count !== 1) return;
      const targets = channels.filter((c) => wants(c.events, e.event));
      if (targets.length) await tx.notificationDelivery.createMany({ data: targets.map((c) => ({ eventId: e.id, channelId: c.id, nextAttemptAt: now })) });
      n++;
    });
  }
  return n;
}

/**
 * Sends the deliveries that are due, all at once (a slow channel delays no
 * other). Success marks `sent`; a failure keeps the error and tries again
 * after an exponential backoff, until MAX_ATTEMPTS marks it `failed`.
 */
export async function deliverDue(now = new Date()): Promise<{ sent: number; failed: number; retrying: number }> {
  const due = await db.notificationDelivery.findMany({
    // A disabled channel's retries wait until it is enabled again.
    where: { status: "pending", nextAttemptAt: { lte: now }, eventId: { not: null }, channel: { enabled: true } },
    orderBy: { nextAttemptAt: "asc" },
    take: BATCH,
    include: { event: true, channel: true },
  });
  const tally = { sent: 0, failed: 0, retrying: 0 };
  if (!due.length) return tally;
  const publicUrl = await getPublicUrl();
  await Promise.all(
    due.map(async (d) => {
      const attempts = d.attempts + 1;
      try {
        await sendToChannel(openChannel(d.channel), buildMessage(d.event!, publicUrl), d.id);
        await db.notificationDelivery.update({ where: { id: d.id }, data: { status: "sent", attempts, sentAt: new Date(), lastError: null } });
        tally.sent++;
        observeNotification(d.channel.name, "sent");
      } catch (err) {
        const error = errorMessage(err).slice(0, 2000);
        const final = attempts >= MAX_ATTEMPTS;
        await db.notificationDelivery.update({
          where: { id: d.id },
          data: { status: final ? "failed" : "pending", attempts, lastError: error, nextAttemptAt: new Date(Date.now() + backoffMs(attempts)) },
        });
        if (final) tally.failed++;
        else tally.retrying++;
        observeNotification(d.channel.name, final ? "failed" : "retry");
        logger.warn({ op: "notify.deliver", channel: d.channel.name, event: d.event!.event, attempts, final, err: error }, "notification not delivered");
      }
    }),
  );
  return tally;
}

/** One pass of the worker. */
export async function runOutbox(now = new Date()) {
  const dispatched = await dispatchDueEvents(now);
  const result = await deliverDue(now);
  return { dispatched, ...result };
}
