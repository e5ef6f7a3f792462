import { createHash } from "node:crypto";
import { db } from "../db";
import { logger } from "../logger";
import type { Actor } from "./record-event";

/**
 * One audit row per (action, source, minute) with a count, for events a
 * hostile client can produce at will (refused cross-site requests, throttled
 * logins): one row each would let it push real history out of the
 * count-bounded retention (issue 21). The row's id is derived from the key,
 * so parallel events meet in one atomic upsert. Never throws.
 */
export async function recordAggregated(opts: { actor: Actor; action: string; source: string; message: string; now?: Date }): Promise<void> {
  const now = opts.now ?? new Date();
  const minute = Math.floor(now.getTime() / 60_000);
  const source = opts.source.slice(0, 500);
  const id = `agg${createHash("sha256").update(`${opts.action}\n${source}\n${minute}`).digest("hex").slice(0, 22)}`;
  try {
    await db.$executeRaw`
      INSERT INTO "AuditEvent" ("id", "actorType", "actorId", "actorLabel", "action", "target", "result", "message", "count", "createdAt")
      VALUES (${id}, ${opts.actor.kind}, ${opts.actor.id ?? null}, ${opts.actor.label.slice(0, 254)}, ${opts.action.slice(0, 100)}, ${source}, 'denied', ${opts.message.slice(0, 2000)}, 1, ${now})
      ON CONFLICT ("id") DO UPDATE SET "count" = "AuditEvent"."count" + 1`;
  } catch (err) {
    logger.error({ op: "audit", action: opts.action, err: (err as Error).message }, "aggregated audit event not recorded");
  }
}
