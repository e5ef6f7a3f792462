import { describe, expect, it } from "vitest";
import { parseSshFingerprint, sshFingerprint, sshKeyType } from "./ssh-host-key";

// Fixtures made with ssh-keygen; the fingerprints are what `ssh-keygen -lf` printed for them.
const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIArRfBcDq4eRGJki1Bn+qXFgltee4TBldjta2zAyG93E";
const RSA =
  "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDCappeSyjLjOeZyccLERZRTTUWcYuQ8VII1Q1395qluSxDL7/SDGJ2+kGnr4I0grlp20Hpyhr8X3XsSm7jp0drBIRrZ0sDYymnMjwrA8MtXCFQiR6LQS/ETBANNZzXxlA9nyF72/lUQxD3WpgiSAc76fR5+cnpPyREgMWRnPM8yQ==";

describe("SSH host key fingerprints", () => {
  it("match ssh-keygen -lf, padding dropped", () => {
    expect(sshFingerprint(Buffer.from(ED25519, "base64"))).toBe("SHA256:ecMPJPnhRNo97H2/6xJhmuM4CLZgMadwZwZn8lCd4yk");
    expect(sshFingerprint(Buffer.from(RSA, "base64"))).toBe("SHA256:zcQqIDb9XWKRSrE4L3uoE2FczdoWGbt6XZt05sP/Bm8");
  });

  it("name the key type from the blob", () => {
    expect(sshKeyType(Buffer.from(ED25519, "base64"))).toBe("ssh-ed25519");
    expect(sshKeyType(Buffer.from(RSA, "base64"))).toBe("ssh-rsa");
    expect(sshKeyType(Buffer.from([0, 0]))).toBe("unknown");
    expect(sshKeyType(Buffer.from([0xff, 0, 0, 0, 1]))).toBe("unknown");
  });

  it("accept only a recorded SHA256 fingerprint, naming the field", () => {
    expect(parseSshFingerprint("  SHA256:ecMPJPnhRNo97H2/6xJhmuM4CLZgMadwZwZn8lCd4yk\n")).toBe("SHA256:ecMPJPnhRNo97H2/6xJhmuM4CLZgMadwZwZn8lCd4yk");
    expect(() => parseSshFingerprint("")).toThrow(/never connects/);
    expect(() => parseSshFingerprint("MD5:12:34", "server.hostKey")).toThrow(expect.objectContaining({ code: "VALIDATION", field: "server.hostKey" }));
    expect(() => parseSshFingerprint("SHA256:tooShort")).toThrow(/43 base64/);
  });
});
