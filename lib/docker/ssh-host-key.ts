// SSH host keys as operators see them: the "SHA256:<base64>" fingerprint that
// `ssh-keygen -lf` prints and OpenSSH shows on first connection. Pure.
import { createHash } from "node:crypto";
import { AppError } from "../errors";

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The fingerprint of a host key blob (the wire format, as in the base64 part of a .pub line). */
export function sshFingerprint(keyBlob: Buffer): string {
  // OpenSSH drops base64's "=" padding.
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside a host key blob ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"…). */
export function sshKeyType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || keyBlob.length < 4 + len) return "unknown";
  return keyBlob.subarray(4, 4 + len).toString("latin1");
}

/** A recorded fingerprint, checked; `field` names the input in the error. */
export function parseSshFingerprint(value: string, field = "hostKey"): string {
  const v = value.trim();
  if (!FINGERPRINT.test(v)) {
    throw new AppError(
      "VALIDATION",
      v === ""
        ? "The SSH host key fingerprint is missing: Wharf never connects to an SSH server whose host key was not recorded"
        : `"${v.slice(0, 80)}" is not an SSH host key fingerprint: expected SHA256:<43 base64 characters>, as ssh-keygen -lf prints it`,
      { field },
    );
  }
  return v;
}
