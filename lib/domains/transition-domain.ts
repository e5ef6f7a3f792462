import { db } from "../db";
import { AppError } from "../errors";
import type { CustomDomain, Prisma } from "../generated/prisma/client";
import { isDomainState, type DomainEvent } from "../lifecycle/domain-states";
import { transitionDomainState } from "../lifecycle/transition";

/**
 * The only writer of CustomDomain.state (SPEC §14): the next state comes from
 * the domain table, and the write is conditional on the state it was
 * computed from.
 */
export async function transitionDomain(id: string, event: DomainEvent, data: Omit<Prisma.CustomDomainUpdateManyMutationInput, "state"> = {}): Promise<CustomDomain> {
  const current = await db.customDomain.findUnique({ where: { id } });
  if (!current) throw new AppError("NOT_FOUND", `custom domain ${id} not found`);
  if (!isDomainState(current.state)) throw new AppError("INTERNAL", `Unknown domain state "${current.state}" in the database`);
  const next = transitionDomainState(current.state, event);
  const res = await db.customDomain.updateMany({ where: { id, state: current.state }, data: { ...data, state: next } });
  if (res.count === 0) throw new AppError("CONFLICT", `domain ${current.domain} changed while "${event}" was being applied; try again`);
  return db.customDomain.findUniqueOrThrow({ where: { id } });
}
