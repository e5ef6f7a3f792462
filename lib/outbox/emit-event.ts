import { db } from "../db";
import { env } from "../env";
import { logger } from "../logger";
import type { Prisma } from "../generated/prisma/client";
import type { TEventName } from "./events";

type Tx = Prisma.TransactionClient;

export interface TEventInput {
  event: TEventName;
  consumer?: { type: "instance" | "standalone" | "server" | "user" | "zone"; id: string; name: string } | null;
  message: string;
  /** The page to link to, relative to the public URL ("/instances/abc"). */
  path?: string | null;
  /** Overrides the fold key (default: event + consumer). */
  foldKey?: string;
  /** Emit at most once per fold key, ever (a certificate's expiry date, an update's digest): later calls are no-ops. */
  once?: boolean;
}

/**
 * Puts an event into the outbox. Pass the transaction that writes the state
 * change (`tx`), so the event exists exactly when the change does; without
 * one it is its own write. While an event with the same key (event and
 * consumer) is still waiting for its fold window to end, a repeat raises its
 * count instead of adding a row: a crash loop is one message, not hundreds.
 * Nothing is sent here: the delivery worker does that, so a slow or failing
 * channel never slows the caller.
 */
export async function emitEvent(tx: Tx | null | undefined, e: TEventInput): Promise<void> {
  const client = tx ?? db;
  const foldKey = (e.foldKey ?? `${e.event}:${e.consumer ? `${e.consumer.type}:${e.consumer.id}` : "-"}`).slice(0, 300);
  const now = new Date();
  const message = e.message.slice(0, 2000);
  if (e.once) {
    if (await client.notificationEvent.findFirst({ where: { foldKey }, select: { id: true } })) return;
  }
  const folded = await client.notificationEvent.updateMany({
    where: { foldKey, status: "pending" },
    // The latest name and message win: a fold key shared by several events (exited, then restart loop) reports the latest verdict.
    data: { count: { increment: 1 }, lastAt: now, message, event: e.event },
  });
  if (folded.count > 0) return;
  await client.notificationEvent.create({
    data: {
      event: e.event,
      consumerType: e.consumer?.type ?? null,
      consumerId: e.consumer?.id ?? null,
      consumerName: e.consumer?.name?.slice(0, 200) ?? null,
      message,
      path: e.path ?? null,
      foldKey,
      dueAt: new Date(now.getTime() + env().WHARF_NOTIFY_FOLD_S * 1000),
      createdAt: now,
      lastAt: now,
    },
  });
}

/**
 * For callers whose state change is not a database write (a container that
 * died, a refused sync): the event is its own write, and a failure to write
 * it is logged, never thrown into the operation that reported it.
 */
export async function emitEventQuietly(e: TEventInput): Promise<void> {
  try {
    await emitEvent(null, e);
  } catch (err) {
    logger.error({ op: "notify.emit", event: e.event, err: (err as Error).message }, "notification event not recorded");
  }
}
