import { AppError } from "../errors";
import { decryptSecret, encryptSecret } from "../settings/crypto";

// A server's credentials at rest: one AES-256-GCM envelope of JSON that names
// the address:port it was entered for. A changed address never inherits them
// (a stored secret never follows a changed URL): opening refuses the mismatch.

export type ServerCredentials =
  | { tls: { ca: string; cert: string; key: string } }
  | { ssh: { user: string; privateKey: string } };

export const boundTo = (address: string, port: number) => `${address.includes(":") ? `[${address}]` : address}:${port}`;

export function sealCredentials(creds: ServerCredentials, address: string, port: number): string {
  return encryptSecret(JSON.stringify({ boundTo: boundTo(address, port), ...creds }));
}

export function openCredentials(server: { name: string; credentials: string; address: string; port: number }): ServerCredentials {
  let parsed: { boundTo?: string } & Partial<{ tls: { ca: string; cert: string; key: string }; ssh: { user: string; privateKey: string } }>;
  try {
    parsed = JSON.parse(decryptSecret(server.credentials));
  } catch {
    throw new AppError("VALIDATION", `server ${server.name}: its credentials cannot be decrypted (was WHARF_ENCRYPTION_KEY changed?); enter them again`, { field: "credentials" });
  }
  if (parsed.boundTo !== boundTo(server.address, server.port)) {
    throw new AppError("VALIDATION", `server ${server.name}: its credentials were entered for ${parsed.boundTo}, not ${boundTo(server.address, server.port)}; enter them again`, { field: "credentials" });
  }
  if (parsed.tls) return { tls: parsed.tls };
  if (parsed.ssh) return { ssh: parsed.ssh };
  throw new AppError("VALIDATION", `server ${server.name}: no credentials stored`, { field: "credentials" });
}
