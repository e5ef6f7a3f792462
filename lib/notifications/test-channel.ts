import { db } from "../db";
import { errorMessage } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { openChannel } from "./channel-config";
import { getChannelRow } from "./channels";
import { buildMessage } from "./format-message";
import { getPublicUrl } from "./public-url";
import { sendToChannel } from "./send";

/**
 * "Send test": one message sent now, outside the outbox, so the operator sees
 * the receiver's exact answer. It is listed among the channel's deliveries.
 */
export async function testChannel(opts: { actor: Actor; id: string }): Promise<{ ok: true } | { ok: false; error: string }> {
  const row = await getChannelRow(opts.id);
  const delivery = await db.notificationDelivery.create({ data: { channelId: row.id, status: "pending", attempts: 1 } });
  const now = new Date();
  const message = buildMessage(
    { event: "test", lastAt: now, consumerType: null, consumerId: null, consumerName: null, message: `Test message from Wharf to channel ${row.name}`, path: "/settings", count: 1 },
    await getPublicUrl(),
  );
  let result: { ok: true } | { ok: false; error: string };
  try {
    await sendToChannel(openChannel(row), message, delivery.id);
    result = { ok: true };
  } catch (err) {
    result = { ok: false, error: errorMessage(err).slice(0, 2000) };
  }
  await db.notificationDelivery.update({
    where: { id: delivery.id },
    data: result.ok ? { status: "sent", sentAt: new Date() } : { status: "failed", lastError: result.error },
  });
  await recordEvent({ actor: opts.actor, action: "notifications.channel.test", target: `${row.type}:${row.name}`, result: result.ok ? "ok" : "error", message: result.ok ? null : result.error });
  return result;
}
