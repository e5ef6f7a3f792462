import { describe, expect, it } from "vitest";
import { channelBodyFromForm } from "./channel-form";

const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};

describe("channelBodyFromForm", () => {
  it("reads name, events and the config; a blank field (a secret left blank) is not given", () => {
    expect(channelBodyFromForm(form([["channelName", " ops "], ["event", "deploy.failed"], ["event", "update.available"], ["config.url", "https://h.example.com/x"], ["config.secret", "  "]]))).toEqual({
      name: "ops",
      events: ["deploy.failed", "update.available"],
      config: { url: "https://h.example.com/x" },
    });
    expect(channelBodyFromForm(form([["channelName", "n"], ["eventsAll", "on"], ["event", "deploy.failed"]])).events).toBe("all");
    expect(channelBodyFromForm(form([["channelName", "n"]])).events).toEqual([]);
  });

  it("e-mail: port and priority are numbers, recipients a list", () => {
    const body = channelBodyFromForm(form([["channelName", "m"], ["config.host", "smtp.example.com"], ["config.port", "465"], ["config.security", "tls"], ["config.to", "a@example.com, b@example.com  c@example.com"], ["config.password", ""]]));
    expect(body.config).toEqual({ host: "smtp.example.com", port: 465, security: "tls", to: ["a@example.com", "b@example.com", "c@example.com"] });
    expect(channelBodyFromForm(form([["config.priority", "4"]])).config).toEqual({ priority: 4 });
  });

  it("refuses a field name that could reach a prototype, naming it", () => {
    for (const name of ["config.__proto__.x", "constructor.prototype.pwn", "config.constructor"]) {
      expect(() => channelBodyFromForm(form([["channelName", "n"], [name, "yes"]])), name).toThrow(/field names may not contain/);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
