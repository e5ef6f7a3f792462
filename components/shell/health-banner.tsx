"use client";
import { useQuery } from "@tanstack/react-query";
import type { Health } from "@/lib/health/get-health";

export function useHealth() {
  return useQuery({
    queryKey: ["health"],
    queryFn: async (): Promise<Health> => {
      const res = await fetch("/api/health", { cache: "no-store" });
      return (await res.json()) as Health;
    },
    refetchInterval: 15_000,
  });
}

const LABELS: Record<string, string> = { docker: "Docker engine", proxy: "Proxy provider", dns: "DNS provider", db: "Database" };

/** A clear banner instead of a crash when Docker or a provider is unreachable (SPEC §2). */
export function HealthBanner() {
  const { data } = useHealth();
  if (!data || data.status === "ok") return null;
  const problems = (["db", "docker", "proxy", "dns"] as const).filter((k) => ["error", "unreachable"].includes(data[k])).map((k) => `${LABELS[k]} ${data[k]}${data.messages[k] ? ` (${data.messages[k]})` : ""}`);
  // Remote Docker servers (SPEC §16): one that does not answer leaves its instances unknown, not failed.
  if (data.servers?.down.length) problems.push(`server${data.servers.down.length > 1 ? "s" : ""} ${data.servers.down.join(", ")} down`);
  return (
    <div role="alert" className="border-b border-amber-200 bg-amber-50 px-6 py-2 text-sm text-amber-900">
      <strong>Degraded:</strong>{" "}
      {problems.join("; ")}
    </div>
  );
}
