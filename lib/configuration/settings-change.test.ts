import { describe, expect, it } from "vitest";
import { defaultSettings } from "../settings/defaults";
import { proxyTargetChanged } from "./settings-change";

describe("proxyTargetChanged", () => {
  const base = defaultSettings();
  it("is true for another provider, another upstream mode or network", () => {
    expect(proxyTargetChanged(base, { ...base, proxy: { ...base.proxy, provider: { type: "managed", image: "caddy:2", httpPort: 80, httpsPort: 443, bindAddress: "0.0.0.0" } } })).toBe(true);
    expect(proxyTargetChanged(base, { ...base, proxy: { ...base.proxy, upstream: { mode: "network", network: "wharf" } } })).toBe(true);
    expect(proxyTargetChanged(base, { ...base, docker: { network: "other" } })).toBe(true);
  });
  it("is false when only other settings changed", () => {
    expect(proxyTargetChanged(base, { ...base, sync: { intervalMinutes: 9 }, baseDomain: "example.org" })).toBe(false);
  });
});
