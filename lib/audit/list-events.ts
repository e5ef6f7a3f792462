import { db } from "../db";

export async function listEvents(opts: { limit?: number; before?: Date } = {}) {
  return db.auditEvent.findMany({
    where: opts.before ? { createdAt: { lt: opts.before } } : undefined,
    orderBy: { createdAt: "desc" },
    take: Math.min(opts.limit ?? 100, 500),
  });
}
