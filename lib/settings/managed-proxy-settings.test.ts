import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { defaultSettings } from "./defaults";
import { applySettingsUpdate } from "../configuration/update-settings";

const managed = { type: "managed", image: "wharf-test/caddy:2", httpPort: 8080, httpsPort: 8443, bindAddress: "127.0.0.1" };

describe("choosing the managed proxy (applySettingsUpdate)", () => {
  it("moves host-port upstreams onto Wharf's network, probed on loopback", () => {
    const current = { ...defaultSettings(), docker: { network: "wharf" } };
    const next = applySettingsUpdate(current, { proxy: { provider: managed } });
    expect(next.proxy.provider).toEqual(managed);
    expect(next.proxy.upstream).toEqual({ mode: "network", network: "wharf", probeAddress: "127.0.0.1" });
  });

  it("keeps an upstream the same request sets", () => {
    const next = applySettingsUpdate(defaultSettings(), { proxy: { provider: managed, upstream: { mode: "network", network: "apps" } } });
    expect(next.proxy.upstream).toEqual({ mode: "network", network: "apps" });
  });

  it("refuses loopback host upstreams with it (the container's loopback is its own), naming the field", () => {
    const current = applySettingsUpdate(defaultSettings(), { proxy: { provider: managed } });
    try {
      applySettingsUpdate(current, { proxy: { upstream: { mode: "host", hostAddress: "127.0.0.1" } } });
      throw new Error("expected a validation error");
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).field).toBe("proxy.upstream");
    }
  });

  it("a form that edits only the network name keeps the probe address", () => {
    const current = applySettingsUpdate(defaultSettings(), { proxy: { provider: managed } });
    const next = applySettingsUpdate(current, { proxy: { upstream: { mode: "network", network: "other" } } });
    expect(next.proxy.upstream).toEqual({ mode: "network", network: "other", probeAddress: "127.0.0.1" });
  });
});
