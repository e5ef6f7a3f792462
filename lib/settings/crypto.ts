import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { appSecrets } from "../secrets";

// Secrets at rest: AES-256-GCM, key derived from the app's encryption secret
// with HKDF. Envelope: "enc:v1:<iv>:<tag>:<ciphertext>" (base64url parts).
const PREFIX = "enc:v1:";

function key(): Buffer {
  return Buffer.from(hkdfSync("sha256", appSecrets().encryptionSecret, "wharf-settings", "aes-256-gcm", 32));
}

export function encryptSecret(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${PREFIX}${iv.toString("base64url")}:${cipher.getAuthTag().toString("base64url")}:${ct.toString("base64url")}`;
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function decryptSecret(envelope: string): string {
  if (!isEncrypted(envelope)) throw new Error("value is not an encrypted envelope");
  const [iv, tag, ct] = envelope.slice(PREFIX.length).split(":");
  const decipher = createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}
