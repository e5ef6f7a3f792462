// Named classes (app/globals.css): a badge repeats on every row of a list.
export type Tone = "green" | "red" | "amber" | "blue" | "gray";

const statusTone: Record<string, Tone> = {
  ok: "green", running: "green", synced: "green", active: "green", succeeded: "green", healthy: "green",
  failed: "red", error: "red", unreachable: "red", denied: "red", removed: "gray",
  deploying: "blue", redeploying: "blue", pending: "blue", starting: "blue", stopping: "amber", removing: "amber", deleting: "amber", rolling_back: "blue",
  misconfigured: "amber", validating: "blue", routing: "blue",
  up: "green", down: "red", unknown: "amber",
  stopped: "gray", created: "gray", not_configured: "gray", wildcard: "blue", degraded: "amber", refused: "amber", interrupted: "amber", foreign: "amber",
};

export function Badge({ children, tone }: { children: React.ReactNode; tone?: Tone }) {
  const t = tone ?? statusTone[String(children)] ?? "gray";
  return <span className={`badge badge-${t}`}>{children}</span>;
}
