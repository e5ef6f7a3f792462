import { describe, expect, it } from "vitest";
import { decodeHexPath } from "./bind-helper";
import { judgeRemoteBind, precheckRemoteBind } from "./bind-source";

// The pure half of the remote bind check (issue 27): what is sent to the
// server, and how the helper's answer is judged. The helper itself runs on
// real engines in remote-bind-mounts.it.test.ts.
const bind = (source: string) => ({ source, field: "mounts.0.source" });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as { code: string; field?: string; message: string };
  }
  throw new Error("expected a refusal");
};

describe("precheckRemoteBind", () => {
  const root = "/srv/wharf";
  it("passes a source under the root as typed (symlinks are the server's to resolve)", () => {
    for (const s of ["/srv/wharf", "/srv/wharf/site", "/srv/wharf/a/./b", "/srv/wharf/a/../b"]) expect(() => precheckRemoteBind({ root, server: "h1", bind: bind(s) })).not.toThrow();
  });
  it.each(["/etc", "/srv/wharfish/x", "/srv/wharf/../etc", "/srv/wharf/a/../../etc", "relative/path", "/srv/wharf/x\n", "/srv/wharf/x\r"])("refuses %j naming the field", (s) => {
    expect(refusal(() => precheckRemoteBind({ root, server: "h1", bind: bind(s) }))).toMatchObject({ code: "VALIDATION", field: "mounts.0.source" });
  });
  it("says which server's root", () => {
    expect(refusal(() => precheckRemoteBind({ root, server: "edge-1", bind: bind("/etc") })).message).toContain("outside the bind-mount root /srv/wharf of server edge-1");
  });
});

describe("judgeRemoteBind", () => {
  const o = (line: string | undefined, rootSeen = "/srv/wharf") => ({ root: "/srv/wharf", rootSeen, server: "h2", bind: bind("/srv/wharf/x"), line });
  it("hands on the server's path below the root (the resolved one, not the typed one)", () => {
    expect(judgeRemoteBind(o("OK /srv/wharf/real"))).toBe("/srv/wharf/real");
    expect(judgeRemoteBind(o("OK /srv/wharf"))).toBe("/srv/wharf");
    // The root mounted where the helper's image has a symlink on the way: the part below the root is what counts.
    expect(judgeRemoteBind(o("OK /run/wharf/real", "/run/wharf"))).toBe("/srv/wharf/real");
  });
  it.each([
    ["OK /", "resolves to /)"],
    ["OK /etc", "resolves to /etc)"],
    ["OK /srv/wharfish", "outside the allowed bind-mount root"],
    ["MISSING", "does not exist on server h2"],
    ["BAD OK 2f0a", "could not be checked"],
    ["", "could not be checked"],
    [undefined, "could not be checked"],
  ])("refuses %j naming the field", (line, text) => {
    expect(refusal(() => judgeRemoteBind(o(line)))).toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringContaining(text) });
  });
});

describe("decodeHexPath", () => {
  it("reads the helper's hex back byte for byte", () => {
    expect(decodeHexPath(Buffer.from("/srv/wharf/été").toString("hex"))).toBe("/srv/wharf/été");
  });
  it.each([Buffer.from("/srv/x\n").toString("hex"), Buffer.from("/srv/x\r").toString("hex"), "2f73ff", "2f7", "zz", ""])("refuses %j (a control character, not UTF-8, not hex)", (hex) => {
    expect(decodeHexPath(hex)).toBeNull();
  });
});
