// The sync report (SPEC §9).
export type ReportAction = "create" | "update" | "delete" | "synced" | "foreign" | "forget" | "blocked" | "restart" | "route" | "orphan" | "recover" | "stop" | "skip" | "certificate" | "domain";

export interface ReportLine {
  kind: "dns" | "container" | "route" | "certificate" | "volume" | "domain";
  name: string;
  action: ReportAction;
  status: "ok" | "failed" | "planned" | "skipped";
  message?: string;
}

export interface OrphanContainer {
  id: string;
  name: string;
  instanceId: string | null;
  state: string;
}

/** A Wharf-labelled volume no instance mounts (kept after a removal); listed, never deleted by a sync. */
export interface OrphanVolume {
  name: string;
  /** The instance it was created for (label); that instance is gone or no longer mounts it. */
  instanceId: string | null;
  /** The server it lives on ("local" or a server's name). */
  server: string;
}

export interface OrphanRoute {
  id: string;
  hosts: string[];
}

/** A consumer the sync left alone because an operation held it (SPEC §13). */
export interface SkippedConsumer {
  /** `instance:<id>` or `standalone:<id>`. */
  consumer: string;
  name: string;
  /** "busy: redeploy" */
  reason: string;
}

export interface SyncReport {
  id: string;
  trigger: string;
  mode: "wildcard" | "managed";
  created: number;
  updated: number;
  deleted: number;
  alreadySynced: number;
  failed: number;
  foreign: number;
  dryRun: boolean;
  durationMs: number;
  apiCalls: number;
  blocked: string | null;
  containers: { restarted: number; failed: number };
  routes: { repaired: number; failed: number };
  /** Certificates (SPEC §7): confirmed by handshake, retried, failed, expiring within 14 days. */
  certificates?: { checked: number; retried: number; issued: number; failed: number; expiring: number };
  domains?: { checked: number; routed: number; misconfigured: number; unrouted: number; failed: number };
  orphans: { containers: OrphanContainer[]; routes: OrphanRoute[]; volumes?: OrphanVolume[] };
  /** Consumers busy with another operation, left for the next run (DNS and infrastructure passes). */
  skipped: SkippedConsumer[];
  lines: ReportLine[];
}

/** What one instance's repair did: the counts it adds to the pass's totals, and its report lines. */
export interface InstanceRepair {
  containers: { restarted: number; failed: number };
  routes: { repaired: number; failed: number };
  lines: ReportLine[];
}
