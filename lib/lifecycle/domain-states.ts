// The custom-domain state table (SPEC §14). Like the instance table it is
// data: the transition function, the UI badges and the tests read it.
//
// - `pending`: recorded, nothing applied. The job (or the scheduler) takes
//   it through `validating` (DNS asked) and `routing` (route host, then the
//   certificate) to `active`.
// - `failed`: validation, routing or the certificate failed; what was applied
//   has been taken off again. `check` (the operator or the scheduler's
//   backoff) starts over. An interrupted job (`interrupted`) lands here too.
// - `misconfigured`: was active, DNS no longer points here. Still routed
//   during the grace period; `repointed` makes it active again, `grace_ended`
//   takes the host off the route and leaves it failed.
// - `removing` → `removed`: the row is deleted after the route host is gone.

export const DOMAIN_STATES = ["pending", "validating", "routing", "active", "failed", "misconfigured", "removing", "removed"] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

export const DOMAIN_EVENTS = [
  "validate",
  "validated",
  "validation_failed",
  "routed",
  "route_failed",
  "drifted",
  "repointed",
  "grace_ended",
  "interrupted",
  "remove",
  "removed",
  "remove_failed",
] as const;
export type DomainEvent = (typeof DOMAIN_EVENTS)[number];

type Table = { readonly [S in DomainState]: Readonly<Partial<Record<DomainEvent, DomainState>>> };

export const DOMAIN_TRANSITIONS: Table = Object.freeze({
  pending: { validate: "validating", remove: "removing" },
  validating: { validated: "routing", validation_failed: "failed", interrupted: "failed" },
  routing: { routed: "active", route_failed: "failed", interrupted: "failed" },
  active: { drifted: "misconfigured", remove: "removing" },
  failed: { validate: "validating", remove: "removing" },
  misconfigured: { repointed: "active", grace_ended: "failed", remove: "removing" },
  // A removal that could not take the host off stays `removing`; the scheduler retries it (never re-routes it).
  removing: { removed: "removed", remove_failed: "removing" },
  removed: {},
});

/** A job owns the domain in these states; a row left in one by a crash is `interrupted`. */
export const DOMAIN_BUSY: ReadonlySet<DomainState> = new Set(["validating", "routing", "removing"]);

export function isDomainState(value: string): value is DomainState {
  return (DOMAIN_STATES as readonly string[]).includes(value);
}

export function isDomainEvent(value: string): value is DomainEvent {
  return (DOMAIN_EVENTS as readonly string[]).includes(value);
}

export function allowedDomainEvents(state: DomainState): DomainEvent[] {
  return DOMAIN_EVENTS.filter((e) => DOMAIN_TRANSITIONS[state][e] !== undefined);
}
