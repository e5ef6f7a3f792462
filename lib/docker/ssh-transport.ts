// Placeholder until the SSH transport lands (issue 27): same exports, refusing.
import { AppError } from "../errors";

export async function probeSshHostKey(_o: { host: string; port: number; timeoutMs?: number }): Promise<{ fingerprint: string; keyType: string }> {
  throw new AppError("INTERNAL", "the SSH transport is not available in this build");
}

export function closeSshConnection(_o: { host: string; port: number; username: string; hostKey: string }): void {}
