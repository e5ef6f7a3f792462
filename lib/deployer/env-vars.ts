import { decryptSecret, encryptSecret } from "../settings/crypto";
import type { TEnvEntry } from "./schemas";

// Instance environment as stored in Instance.env: JSON [{key, value, secret}],
// secret values sealed with the settings cipher. Secret values never leave
// the server: the API shows {key, secret: true} without the value.

export function sealEnv(entries: TEnvEntry[]): string {
  return JSON.stringify(entries.map((e) => ({ key: e.key, secret: e.secret, value: e.secret ? encryptSecret(e.value) : e.value })));
}

function parse(stored: string): TEnvEntry[] {
  return JSON.parse(stored || "[]") as TEnvEntry[];
}

/** KEY → value with secrets decrypted: for the container only. */
export function containerEnv(stored: string): Record<string, string> {
  return Object.fromEntries(parse(stored).map((e) => [e.key, e.secret ? decryptSecret(e.value) : e.value]));
}

export function presentEnv(stored: string): { key: string; value?: string; secret: boolean }[] {
  return parse(stored).map((e) => (e.secret ? { key: e.key, secret: true } : { key: e.key, value: e.value, secret: false }));
}

/** The entries with secret values decrypted: for a Swarm service, whose secret values become Docker secrets. */
export function envEntries(stored: string): { key: string; value: string; secret: boolean }[] {
  return parse(stored).map((e) => ({ key: e.key, value: e.secret ? decryptSecret(e.value) : e.value, secret: e.secret }));
}
