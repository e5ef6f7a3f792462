import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { parseInput } from "../validation";
import { ZServerCreateSchema } from "./schemas";
import { labelsFromText, serverCreateBodyFromForm, serverUpdateBodyFromForm } from "./server-form";

const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).field;
  }
  throw new Error("did not throw");
};
const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

describe("labelsFromText", () => {
  it("reads key=value lines, skipping blanks and comments; the value may hold '='", () => {
    expect({ ...labelsFromText("zone=a\n\n# note\n role = db \r\nq=x=y\n") }).toEqual({ zone: "a", role: "db", q: "x=y" });
    expect({ ...labelsFromText("") }).toEqual({});
  });

  it.each(["zone", "=a", "zone=a\nzone=b"])("refuses %j naming the labels field", (text) => {
    expect(fieldOf(() => labelsFromText(text))).toBe("labels");
  });

  it("a key reaching a prototype is a plain key of a null-prototype object", () => {
    const l = labelsFromText("__proto__=x");
    expect(Object.getPrototypeOf(l)).toBeNull();
    expect(Object.prototype).not.toHaveProperty("x");
  });
});

describe("serverCreateBodyFromForm", () => {
  it("a TLS form: only the TLS group is sent, the port is a number, blanks are not given", () => {
    const body = serverCreateBodyFromForm(form([
      ["serverName", "edge-1"], ["transport", "tls"], ["address", "198.18.0.11"], ["port", "2376"], ["upstreamAddress", ""], ["labelLines", "zone=a"],
      ["tls.ca", PEM_CERT], ["tls.cert", PEM_CERT], ["tls.key", PEM_KEY], ["ssh.user", "deploy"], ["ssh.privateKey", ""],
    ]));
    expect(JSON.parse(JSON.stringify(body))).toEqual({ name: "edge-1", transport: "tls", address: "198.18.0.11", port: 2376, labels: { zone: "a" }, tls: { ca: PEM_CERT.trim(), cert: PEM_CERT.trim(), key: PEM_KEY.trim() } });
    expect(parseInput(ZServerCreateSchema, body)).toMatchObject({ name: "edge-1", port: 2376 });
  });

  it("a TLS form without credentials is refused on `tls`; a half-filled one on the missing key", () => {
    const none = serverCreateBodyFromForm(form([["serverName", "e"], ["transport", "tls"], ["address", "198.18.0.11"], ["tls.ca", ""], ["tls.cert", ""], ["tls.key", ""]]));
    expect(fieldOf(() => parseInput(ZServerCreateSchema, none))).toBe("tls");
    const half = serverCreateBodyFromForm(form([["serverName", "e"], ["transport", "tls"], ["address", "198.18.0.11"], ["tls.ca", PEM_CERT], ["tls.cert", PEM_CERT]]));
    expect(fieldOf(() => parseInput(ZServerCreateSchema, half))).toBe("tls.key");
  });

  it("an SSH form sends the SSH group; a bad port stays text and is refused naming `port`", () => {
    const body = serverCreateBodyFromForm(form([["serverName", "e"], ["transport", "ssh"], ["address", "198.18.0.12"], ["port", "twenty"], ["ssh.user", "deploy"], ["ssh.privateKey", PEM_KEY], ["tls.ca", PEM_CERT]]));
    expect(body).not.toHaveProperty("tls");
    expect(body.ssh).toMatchObject({ user: "deploy" });
    expect(fieldOf(() => parseInput(ZServerCreateSchema, body))).toBe("port");
  });

  it("no transport chosen is refused naming `transport`", () => {
    expect(fieldOf(() => parseInput(ZServerCreateSchema, serverCreateBodyFromForm(form([["serverName", "e"], ["address", "198.18.0.11"]]))))).toBe("transport");
  });
});

describe("serverUpdateBodyFromForm", () => {
  it("blank credentials are not sent (the stored ones are kept); emptied labels clear them", () => {
    const body = serverUpdateBodyFromForm(form([["serverName", "edge-1"], ["address", "198.18.0.11"], ["port", "2376"], ["upstreamAddress", ""], ["labelLines", ""], ["tls.ca", ""], ["tls.cert", ""], ["tls.key", ""]]), "tls");
    expect(JSON.parse(JSON.stringify(body))).toEqual({ name: "edge-1", address: "198.18.0.11", port: 2376, labels: {} });
  });

  it("filled credentials of the server's transport are sent; another transport's never are", () => {
    const body = serverUpdateBodyFromForm(form([["address", "198.18.0.13"], ["ssh.user", "deploy"], ["ssh.privateKey", PEM_KEY], ["tls.key", PEM_KEY]]), "ssh");
    expect(body).toMatchObject({ address: "198.18.0.13", ssh: { user: "deploy" } });
    expect(body).not.toHaveProperty("tls");
  });
});
