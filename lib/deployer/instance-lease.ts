import { ConsumerLease, withConsumer, type ConsumerOperation } from "../consumers/consumer-lease";
import { db } from "../db";
import type { Instance } from "../generated/prisma/client";
import { findInstanceOrThrow } from "../db/find-instance";

// The deployer's side of the consumer lease: the instance is read only once
// the lease is held, and the busy answer names the instance.

const consumerOf = (id: string) => ({ type: "instance" as const, id });
const labelOf = (id: string) => async () => `instance ${(await db.instance.findUnique({ where: { id }, select: { name: true } }))?.name ?? id}`;

export function acquireInstanceLease(id: string, operation: ConsumerOperation): Promise<ConsumerLease> {
  return ConsumerLease.acquire({ consumer: consumerOf(id), operation, label: labelOf(id) });
}

/** Runs a synchronous operation (stop, remove) on the instance under its lease, with the row as read under it. */
export function withInstance<T>(id: string, operation: ConsumerOperation, fn: (instance: Instance, lease: ConsumerLease) => Promise<T>): Promise<T> {
  return withConsumer({ consumer: consumerOf(id), operation, label: labelOf(id) }, async (lease) => fn(await findInstanceOrThrow(id), lease));
}
