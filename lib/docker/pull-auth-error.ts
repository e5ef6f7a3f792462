import { AppError, errorMessage } from "../errors";
import { parseImageRef } from "../image-ref";
import type { PullAuth } from "./types";

// How the engine words a registry's refusal, across registries and engine
// versions: "no basic auth credentials" (distribution with htpasswd, no
// credentials sent), "unauthorized: authentication required", "denied:
// requested access to the resource is denied" (Docker Hub, GHCR), "pull
// access denied", "401 Unauthorized".
const AUTH_REFUSAL = /no basic auth credentials|unauthorized|authentication required|access (to the resource is )?denied|pull access denied|401/i;

/**
 * A pull refused for authentication, as an error that says so and names the
 * registry and the repository; null for any other failure.
 */
export function pullAuthError(ref: string, err: unknown, auth: PullAuth | undefined): AppError | null {
  if (err instanceof AppError && err.code === "TIMEOUT") return null;
  const message = errorMessage(err);
  if (!AUTH_REFUSAL.test(message)) return null;
  const { registry, repository } = parseImageRef(ref);
  const text = auth
    ? `registry ${registry} refused the credentials for ${repository}`
    : `registry ${registry} requires credentials for ${repository}: none are configured for ${registry} in Settings → Registries`;
  return new AppError("PROVIDER_ERROR", `${text} (engine: ${message.replace(/^Docker pull of \S+ failed: /, "")})`, { details: { registry, repository } });
}
