import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { collectMetrics } from "./collect-metrics";
import { observeDeployment, observeNotification, observeSync } from "./registry";

// docs/monitoring.md stays true: its alert rules pass promtool, its dashboard
// is valid JSON, and every wharf_ metric it names is one Wharf exposes.
const doc = readFileSync(path.resolve("docs/monitoring.md"), "utf8");

describe("docs/monitoring.md", () => {
  it("alert rules pass promtool check rules; the dashboard parses", () => {
    const yaml = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("groups:"))!;
    const file = path.join(mkdtempSync(path.join(tmpdir(), "wharf-rules-")), "rules.yml");
    writeFileSync(file, yaml);
    const res = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
    expect(res.stdout + res.stderr).toContain("SUCCESS");
    expect(res.status).toBe(0);
    const dashboard = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)![1]) as { panels: unknown[] };
    expect(dashboard.panels.length).toBeGreaterThan(5);
  });

  it("names only metrics Wharf exposes, and the exposition passes promtool check metrics", async () => {
    observeDeployment("deploy", "failed", 3);
    observeSync("succeeded", 1);
    observeNotification("ops", "sent");
    const { body } = await collectMetrics();
    const exposed = new Set([...body.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap((m) => (m[2] === "histogram" ? [m[1], `${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]])));
    const named = new Set([...doc.matchAll(/\bwharf_[a-z_]+[a-z]\b/g)].map((m) => m[0]).filter((n) => !n.endsWith("_") && !["wharf_process", "wharf_nodejs"].includes(n)));
    // Provider counters and the certificate/last-sync gauges appear once there is something to count.
    const needsData = ["wharf_provider_requests_total", "wharf_provider_errors_total", "wharf_certificate_expiry_timestamp_seconds", "wharf_sync_last_success_timestamp_seconds", "wharf_sync_last_duration_seconds", "wharf_dns_records", "wharf_certificates", "wharf_notification_deliveries", "wharf_leases_held"];
    for (const n of named) if (!needsData.includes(n)) expect(exposed, n).toContain(n);
    for (const n of needsData) expect(body).toContain(`# TYPE ${n} `);
    const check = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  });
});
