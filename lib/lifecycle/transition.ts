// The one transition function (SPEC §4.3): every status write goes through it,
// and a refused transition is an error, never a write.
import { AppError } from "../errors";
import { allowedDomainEvents, DOMAIN_TRANSITIONS, isDomainEvent, isDomainState, type DomainEvent, type DomainState } from "./domain-states";
import { allowedEvents, isInstanceEvent, isInstanceState, TRANSITIONS, type InstanceEvent, type InstanceState } from "./states";

export function canAccept(state: InstanceState, event: InstanceEvent): boolean {
  return isInstanceState(state) && isInstanceEvent(event) && TRANSITIONS[state][event] !== undefined;
}

/** The state after `event`, or AppError("INVALID_TRANSITION") naming both. */
export function transition(state: InstanceState, event: InstanceEvent): InstanceState {
  // Guards the runtime values too: status comes from a database string column.
  if (!isInstanceState(state)) {
    throw new AppError("INVALID_TRANSITION", `Unknown instance state "${String(state)}" (event "${String(event)}")`, {
      details: { state, event },
    });
  }
  if (!isInstanceEvent(event)) {
    throw new AppError("INVALID_TRANSITION", `Unknown event "${String(event)}" for an instance in state "${state}"`, {
      details: { state, event },
    });
  }
  const next = TRANSITIONS[state][event];
  if (next === undefined) {
    const allowed = allowedEvents(state);
    throw new AppError(
      "INVALID_TRANSITION",
      `An instance in state "${state}" cannot accept event "${event}" (allowed: ${allowed.length ? allowed.join(", ") : "none"})`,
      { details: { state, event, allowed } },
    );
  }
  return next;
}

/** Narrows a status read from the database; an unknown value is a bug or a newer schema, not user input. */
export function parseInstanceState(value: string): InstanceState {
  if (!isInstanceState(value)) throw new AppError("INTERNAL", `Unknown instance state "${value}" in the database`);
  return value;
}

/** The custom-domain counterpart of `transition` (SPEC §14): the next state, or INVALID_TRANSITION naming both. */
export function transitionDomainState(state: DomainState, event: DomainEvent): DomainState {
  if (!isDomainState(state)) throw new AppError("INVALID_TRANSITION", `Unknown domain state "${String(state)}" (event "${String(event)}")`, { details: { state, event } });
  if (!isDomainEvent(event)) throw new AppError("INVALID_TRANSITION", `Unknown event "${String(event)}" for a domain in state "${state}"`, { details: { state, event } });
  const next = DOMAIN_TRANSITIONS[state][event];
  if (next === undefined) {
    const allowed = allowedDomainEvents(state);
    throw new AppError("INVALID_TRANSITION", `A domain in state "${state}" cannot accept event "${event}" (allowed: ${allowed.length ? allowed.join(", ") : "none"})`, {
      details: { state, event, allowed },
    });
  }
  return next;
}
