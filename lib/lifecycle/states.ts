// The instance state table (SPEC §4.3, §5). Data, not code: the transition
// function, the UI (which buttons to show) and the tests all read this one table.
//
// The table describes what is serving, not which button was pressed:
// - `deploy` brings a container up when nothing serves (created, stopped,
//   failed); its failure leaves `failed`.
// - `redeploy` and `rollback` are blue-green switches beside a serving
//   container, so only `running` accepts them, and their failure returns to
//   `running`: the route is switched last, so until then the old container
//   still serves and the instance must stay in DNS (SPEC §9 expects records
//   for `running` instances only).
//   Rolling back or redeploying an instance that serves nothing (stopped,
//   failed) is therefore a `deploy` transition; the Deployment row's `kind`
//   records what the operator asked for.
// - Busy states belong to the operation running in them. `cancel` and
//   `recover` are self-loops: cancel is a request the running operation
//   observes at its next step and ends with its own `*_failed` event; recover
//   lets the start-up sweep claim an operation interrupted by a crash, which
//   it then finishes or compensates through the same outcome events.

export const INSTANCE_STATES = [
  "created",
  "deploying",
  "running",
  "redeploying",
  "rolling_back",
  "stopping",
  "stopped",
  "starting",
  "failed",
  "removing",
  "removed",
] as const;

export type InstanceState = (typeof INSTANCE_STATES)[number];

export const INSTANCE_EVENTS = [
  "deploy",
  "deployed",
  "deploy_failed",
  "redeploy",
  "redeployed",
  "redeploy_failed",
  "rollback",
  "rolled_back",
  "rollback_failed",
  "stop",
  "stopped",
  "stop_failed",
  "start",
  "started",
  "start_failed",
  "remove",
  "removed",
  "remove_failed",
  "cancel",
  "recover",
  "container_died",
] as const;

export type InstanceEvent = (typeof INSTANCE_EVENTS)[number];

type Table = { readonly [S in InstanceState]: Readonly<Partial<Record<InstanceEvent, InstanceState>>> };

export const TRANSITIONS: Table = Object.freeze({
  created: { deploy: "deploying", remove: "removing" },
  deploying: { deployed: "running", deploy_failed: "failed", cancel: "deploying", recover: "deploying" },
  running: {
    redeploy: "redeploying",
    rollback: "rolling_back",
    stop: "stopping",
    remove: "removing",
    // The reconciler records what it saw; restarting is a separate `start`.
    container_died: "failed",
  },
  redeploying: { redeployed: "running", redeploy_failed: "running", cancel: "redeploying", recover: "redeploying" },
  rolling_back: { rolled_back: "running", rollback_failed: "running", recover: "rolling_back" },
  // A stop only fails when the engine cannot be reached; what runs is then unknown.
  stopping: { stopped: "stopped", stop_failed: "failed", recover: "stopping" },
  stopped: { deploy: "deploying", start: "starting", remove: "removing" },
  starting: { started: "running", start_failed: "failed", recover: "starting" },
  // A crash-looping container can still be stopped; start needs a container (checked by the caller).
  failed: { deploy: "deploying", start: "starting", stop: "stopping", remove: "removing" },
  // Something was left behind: the instance is `failed` and remove can be retried.
  removing: { removed: "removed", remove_failed: "failed", recover: "removing" },
  removed: {},
});

/** The states in which an operation owns the instance (a job holds its lease). */
export const BUSY_STATES: readonly InstanceState[] = ["deploying", "redeploying", "rolling_back", "stopping", "starting", "removing"];
const BUSY: ReadonlySet<InstanceState> = new Set(BUSY_STATES);

/** An operation owns the instance; new operations are refused until it ends. */
export function isBusy(state: InstanceState): boolean {
  return BUSY.has(state);
}

export function isTerminal(state: InstanceState): boolean {
  return Object.keys(TRANSITIONS[state]).length === 0;
}

export function isInstanceState(value: string): value is InstanceState {
  return (INSTANCE_STATES as readonly string[]).includes(value);
}

export function isInstanceEvent(value: string): value is InstanceEvent {
  return (INSTANCE_EVENTS as readonly string[]).includes(value);
}

/** Events the state accepts, in table order (e.g. to decide which actions the UI offers). */
export function allowedEvents(state: InstanceState): InstanceEvent[] {
  return INSTANCE_EVENTS.filter((e) => TRANSITIONS[state][e] !== undefined);
}
