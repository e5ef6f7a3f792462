import { currentLease } from "../consumers/consumer-lease";
import { fenced } from "../db/lease";
import { AppError } from "../errors";
import { parseInstanceState, transition } from "../lifecycle/transition";
import type { InstanceEvent } from "../lifecycle/states";
import type { Instance, Prisma } from "../generated/prisma/client";

/**
 * The only writer of Instance.status (SPEC §4.3): the next state comes from
 * the lifecycle table, and the write is conditional on the state it was
 * computed from, so two racing operations cannot both move the instance.
 * Under a consumer lease it is also fenced (issue 26): refused with "lease
 * lost" once another process took the lease over.
 */
export async function transitionInstance(id: string, event: InstanceEvent, data: Omit<Prisma.InstanceUpdateInput, "status"> = {}): Promise<Instance> {
  return fenced(currentLease(), async (tx) => {
    const current = await tx.instance.findUnique({ where: { id } });
    if (!current) throw new AppError("NOT_FOUND", `instance ${id} not found`);
    const next = transition(parseInstanceState(current.status), event);
    const res = await tx.instance.updateMany({ where: { id, status: current.status }, data: { ...(data as Prisma.InstanceUpdateManyMutationInput), status: next } });
    if (res.count === 0) throw new AppError("CONFLICT", `instance ${current.name} changed while "${event}" was being applied; try again`);
    return tx.instance.findUniqueOrThrow({ where: { id } });
  });
}
