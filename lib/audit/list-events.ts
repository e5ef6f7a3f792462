import { containsText, db } from "../db";
import { enumParam, paginate, parseListQuery, textParam, type TSortSpec } from "../pagination";

const EVENT_SORTS = { createdAt: { field: "createdAt", type: "date" } } satisfies Record<string, TSortSpec>;
export const EVENT_RESULTS = ["ok", "error", "denied"] as const;

/**
 * One page of audit events, newest first (GET /api/activity/events,
 * /activity): `limit`, `cursor`, `dir`, `result`, `q` (text in action,
 * target or actor).
 */
export async function listEvents(opts: { params?: URLSearchParams; defaultLimit?: number } = {}) {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: ["createdAt"], defaultSort: "createdAt", defaultDir: "desc", defaultLimit: opts.defaultLimit });
  const result = enumParam(params, "result", EVENT_RESULTS);
  const q = textParam(params);
  const where = {
    ...(result ? { result } : {}),
    ...(q ? { OR: [{ action: containsText(q) }, { target: containsText(q) }, { actorLabel: containsText(q) }] } : {}),
  };
  return paginate({ query, sorts: EVENT_SORTS, where, findMany: (a) => db.auditEvent.findMany(a), count: (a) => db.auditEvent.count(a) });
}
