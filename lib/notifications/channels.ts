import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseInput } from "../validation";
import type { NotificationChannel } from "../generated/prisma/client";
import type { TChannelType } from "../outbox/events";
import { mergeConfig, openChannel, publicConfig, sealConfig } from "./channel-config";
import { ZChannelCreateSchema, ZChannelUpdateSchema } from "./schemas";

/** A channel as the API shows it (SPEC §17), with its last deliveries. */
export async function toPublicChannel(row: NotificationChannel) {
  const last = await db.notificationDelivery.findMany({
    where: { channelId: row.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 10,
    include: { event: { select: { event: true, count: true, consumerName: true } } },
  });
  return {
    id: row.id,
    name: row.name,
    type: row.type as TChannelType,
    config: publicConfig(row.type as TChannelType, row.config),
    events: JSON.parse(row.events) as "all" | string[],
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastDeliveries: last.map((d) => ({
      id: d.id,
      event: d.event?.event ?? "test",
      consumer: d.event?.consumerName ?? null,
      count: d.event?.count ?? 1,
      status: d.status,
      attempts: d.attempts,
      error: d.lastError,
      createdAt: d.createdAt,
      sentAt: d.sentAt,
    })),
  };
}
export type TPublicChannel = Awaited<ReturnType<typeof toPublicChannel>>;

export async function listChannels(): Promise<TPublicChannel[]> {
  const rows = await db.notificationChannel.findMany({ orderBy: [{ name: "asc" }] });
  return Promise.all(rows.map(toPublicChannel));
}

export async function getChannelRow(id: string): Promise<NotificationChannel> {
  const row = await db.notificationChannel.findUnique({ where: { id } });
  if (!row) throw new AppError("NOT_FOUND", `notification channel ${id} not found`);
  return row;
}

async function assertNameFree(name: string, exceptId?: string) {
  const clash = await db.notificationChannel.findUnique({ where: { name } });
  if (clash && clash.id !== exceptId) throw new AppError("CONFLICT", `name: a channel named ${name} exists`, { field: "name" });
}

export async function createChannel(opts: { actor: Actor; body: unknown }): Promise<TPublicChannel> {
  const input = parseInput(ZChannelCreateSchema, opts.body);
  const config = mergeConfig(input.type, input.config, null);
  await assertNameFree(input.name);
  const row = await db.notificationChannel.create({
    data: { name: input.name, type: input.type, config: sealConfig(input.type, config), events: JSON.stringify(input.events), enabled: input.enabled },
  });
  await recordEvent({ actor: opts.actor, action: "notifications.channel.create", target: `${row.type}:${row.name}`, result: "ok" });
  return toPublicChannel(row);
}

export async function updateChannel(opts: { actor: Actor; id: string; body: unknown }): Promise<TPublicChannel> {
  const input = parseInput(ZChannelUpdateSchema, opts.body);
  const row = await getChannelRow(opts.id);
  const type = row.type as TChannelType;
  if (input.name !== undefined) await assertNameFree(input.name, row.id);
  const config = input.config !== undefined ? sealConfig(type, mergeConfig(type, input.config, openChannel(row).config)) : undefined;
  const updated = await db.notificationChannel.update({
    where: { id: row.id },
    data: { name: input.name, enabled: input.enabled, events: input.events !== undefined ? JSON.stringify(input.events) : undefined, config },
  });
  await recordEvent({ actor: opts.actor, action: "notifications.channel.update", target: `${type}:${updated.name}`, result: "ok", message: Object.keys(input).join(", ") });
  return toPublicChannel(updated);
}

export async function deleteChannel(opts: { actor: Actor; id: string }): Promise<void> {
  const row = await getChannelRow(opts.id);
  await db.notificationChannel.delete({ where: { id: row.id } });
  await recordEvent({ actor: opts.actor, action: "notifications.channel.delete", target: `${row.type}:${row.name}`, result: "ok" });
}
