import { randomBytes } from "node:crypto";
import { recordEvent, type Actor } from "../audit/record-event";
import { db } from "../db";
import { findInstanceOrThrow } from "../db/find-instance";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client";
import { getSettings } from "../settings/get-settings";
import { parseInput } from "../validation";
import { assertDomainAvailable } from "./assert-domain-available";
import { startDomainJob } from "./domain-jobs";
import { presentDomain } from "./present-domain";
import { ZAddDomainSchema } from "./schemas";

/**
 * Records the domain as `pending` (nothing applied) and starts the job that
 * validates, routes and certifies it (SPEC §14). 202: the answer carries the
 * records to create, and the token for the TXT proof.
 */
export async function addDomain(opts: { actor: Actor; instanceId: string; body: unknown }) {
  const { domain } = parseInput(ZAddDomainSchema, opts.body);
  const [instance, settings] = await Promise.all([findInstanceOrThrow(opts.instanceId), getSettings()]);
  try {
    await assertDomainAvailable({ domain, baseDomain: settings.baseDomain });
    const row = await db.customDomain.create({ data: { instanceId: instance.id, domain, token: `wharf-${randomBytes(16).toString("hex")}` } });
    await recordEvent({ actor: opts.actor, action: "domain.add", target: domain, result: "ok", message: `on instance ${instance.name}` });
    startDomainJob({ domainId: row.id, instanceId: instance.id, operation: "domain.check", actor: opts.actor });
    return presentDomain(row, instance, settings);
  } catch (err) {
    const e = err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002" ? new AppError("VALIDATION", `domain: ${domain} is already a custom domain`, { field: "domain" }) : err;
    await recordEvent({ actor: opts.actor, action: "domain.add", target: domain, result: "error", message: (e as Error).message });
    throw e;
  }
}
