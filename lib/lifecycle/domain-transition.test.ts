import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { DOMAIN_EVENTS, DOMAIN_STATES, type DomainEvent, type DomainState } from "./domain-states";
import { transitionDomainState } from "./transition";

// Written out by hand from SPEC §14 and issue 25; every pair not listed is refused.
const EXPECTED: Record<DomainState, Partial<Record<DomainEvent, DomainState>>> = {
  pending: { validate: "validating", remove: "removing" },
  validating: { validated: "routing", validation_failed: "failed", interrupted: "failed" },
  routing: { routed: "active", route_failed: "failed", interrupted: "failed" },
  active: { drifted: "misconfigured", remove: "removing" },
  failed: { validate: "validating", remove: "removing" },
  misconfigured: { repointed: "active", grace_ended: "failed", remove: "removing" },
  removing: { removed: "removed", remove_failed: "removing" },
  removed: {},
};

describe("custom-domain state table", () => {
  for (const state of DOMAIN_STATES) {
    for (const event of DOMAIN_EVENTS) {
      const want = EXPECTED[state][event];
      it(`${state} + ${event} → ${want ?? "refused"}`, () => {
        if (want) expect(transitionDomainState(state, event)).toBe(want);
        else expect(() => transitionDomainState(state, event)).toThrow(AppError);
      });
    }
  }

  it("refuses unknown states and events from the database with INVALID_TRANSITION", () => {
    expect(() => transitionDomainState("bogus" as DomainState, "validate")).toThrow(/Unknown domain state "bogus"/);
    expect(() => transitionDomainState("active", "bogus" as DomainEvent)).toThrow(/Unknown event "bogus"/);
    expect(() => transitionDomainState("active", "routed")).toThrow(
      expect.objectContaining({ code: "INVALID_TRANSITION", message: 'A domain in state "active" cannot accept event "routed" (allowed: drifted, remove)' }),
    );
  });
});
