const tones = {
  green: "bg-emerald-50 text-emerald-700 ring-emerald-200",
  red: "bg-rose-50 text-rose-700 ring-rose-200",
  amber: "bg-amber-50 text-amber-800 ring-amber-200",
  blue: "bg-sky-50 text-sky-700 ring-sky-200",
  gray: "bg-slate-100 text-slate-600 ring-slate-200",
} as const;

export type Tone = keyof typeof tones;

const statusTone: Record<string, Tone> = {
  ok: "green", running: "green", synced: "green", active: "green", succeeded: "green", healthy: "green",
  failed: "red", error: "red", unreachable: "red", denied: "red", removed: "gray",
  deploying: "blue", redeploying: "blue", pending: "blue", starting: "blue", stopping: "amber", removing: "amber", deleting: "amber", rolling_back: "blue",
  stopped: "gray", created: "gray", not_configured: "gray", wildcard: "blue", degraded: "amber", refused: "amber", interrupted: "amber", foreign: "amber",
};

export function Badge({ children, tone }: { children: React.ReactNode; tone?: Tone }) {
  const t = tone ?? statusTone[String(children)] ?? "gray";
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tones[t]}`}>{children}</span>;
}
