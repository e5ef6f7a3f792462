import { currentLease } from "../consumers/consumer-lease";
import { fenced } from "../db/lease";
import { AppError } from "../errors";
import type { CustomDomain, Prisma } from "../generated/prisma/client";
import { isDomainState, type DomainEvent } from "../lifecycle/domain-states";
import { transitionDomainState } from "../lifecycle/transition";

/**
 * The only writer of CustomDomain.state (SPEC §14): the next state comes from
 * the domain table, and the write is conditional on the state it was
 * computed from. Under the instance's consumer lease it is also fenced
 * (issue 26): refused with "lease lost" once another process took it over.
 */
export async function transitionDomain(id: string, event: DomainEvent, data: Omit<Prisma.CustomDomainUpdateManyMutationInput, "state"> = {}): Promise<CustomDomain> {
  return fenced(currentLease(), async (tx) => {
    const current = await tx.customDomain.findUnique({ where: { id } });
    if (!current) throw new AppError("NOT_FOUND", `custom domain ${id} not found`);
    if (!isDomainState(current.state)) throw new AppError("INTERNAL", `Unknown domain state "${current.state}" in the database`);
    const next = transitionDomainState(current.state, event);
    const res = await tx.customDomain.updateMany({ where: { id, state: current.state }, data: { ...data, state: next } });
    if (res.count === 0) throw new AppError("CONFLICT", `domain ${current.domain} changed while "${event}" was being applied; try again`);
    return tx.customDomain.findUniqueOrThrow({ where: { id } });
  });
}
