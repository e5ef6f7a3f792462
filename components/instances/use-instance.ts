"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import type { TInstanceView } from "@/lib/instances/present-instance";
import { instanceRow, type TInstanceListed, type TInstanceRow } from "./instance-row";

const BUSY = new Set(["deploying", "redeploying", "rolling_back", "stopping", "starting", "removing"]);
export const isBusyStatus = (s: string) => BUSY.has(s);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(((await res.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Live instance list, one page of it (`query`: the page's filters, order, size and cursor): polls faster while any instance is busy. */
export function useInstances(initial: TInstanceRow[], query = "") {
  return useQuery({
    queryKey: ["instances", query],
    queryFn: async () => (await getJson<{ items: TInstanceListed[] }>(`/api/instances${query ? `?${query}` : ""}`)).items.map(instanceRow),
    initialData: initial,
    refetchInterval: (q) => ((q.state.data ?? []).some((i) => isBusyStatus(i.status)) ? 1000 : 5000),
  });
}

export type TInstanceDetail = TInstanceView & {
  env: { key: string; value?: string; secret: boolean }[];
  containerId: string | null;
  containerName: string | null;
  rollback: { containerName: string | null; image: string | null } | null;
  container: { state: string; exitCode: number | null; oomKilled: boolean; startedAt: string | null } | null;
  /** On a Swarm cluster (issue 28): the service's replica count, placement and tasks (null when the manager does not answer). */
  replicas?: number;
  placement?: string[];
  tasks?: { node: string; state: string; desiredState: string; address: string | null; error?: string }[] | null;
};

export type TDeployment = {
  id: string;
  kind: string;
  image: string;
  status: string;
  error: string | null;
  actor: string | null;
  startedAt: string;
  finishedAt: string | null;
  containerName: string | null;
  digest: string | null;
  imageId: string | null;
  /** A successful deployment with an exact image, not the one serving: "Roll back to this". */
  canRollBackTo: boolean;
  steps: {
    id: string; name: string; status: string; message: string | null; startedAt: string; finishedAt: string | null;
    bytesDone: number | null; bytesTotal: number | null; layersDone: number | null; layersTotal: number | null;
  }[];
};

export function useInstance(id: string, initial: TInstanceDetail) {
  return useQuery({
    queryKey: ["instance", id],
    queryFn: () => getJson<TInstanceDetail>(`/api/instances/${id}`),
    initialData: initial,
    refetchInterval: (q) => (q.state.data && isBusyStatus(q.state.data.status) ? 1000 : 4000),
    retry: false,
  });
}

export function useDeployments(id: string, busy: boolean) {
  return useQuery({
    queryKey: ["deployments", id],
    queryFn: async () => (await getJson<{ deployments: TDeployment[] }>(`/api/instances/${id}/deployments`)).deployments,
    refetchInterval: busy ? 1000 : 5000,
  });
}

/** After a form's action answered, the instance and its history are read again at once rather than at the next poll. */
export function useRefreshAfter(state: unknown, instanceId: string) {
  const qc = useQueryClient();
  useEffect(() => {
    if (!state) return;
    void qc.invalidateQueries({ queryKey: ["instance", instanceId] });
    void qc.invalidateQueries({ queryKey: ["deployments", instanceId] });
  }, [state, qc, instanceId]);
}
