import type { PullAuth } from "../docker/types";
import type { TSettings } from "../settings/schemas";
import { DOCKER_HUB, normaliseRegistryHost, parseImageRef } from "../image-ref";

/** The stored credentials for the registry an image comes from, matched by normalised host. */
export function registryCredentialsFor(settings: TSettings, ref: string): { username: string; password: string; authHost?: string } | null {
  const { registry } = parseImageRef(ref);
  const hit = settings.registries.find((r) => normaliseRegistryHost(r.host) === registry);
  return hit ? { username: hit.username, password: hit.password, ...(hit.authHost ? { authHost: hit.authHost } : {}) } : null;
}

/** The same, shaped as the engine's authconfig (Docker Hub's server address is its v1 index URL). */
export function pullAuthFor(settings: TSettings, ref: string): PullAuth | undefined {
  const found = registryCredentialsFor(settings, ref);
  if (!found) return undefined;
  const { username, password } = found;
  const creds = { username, password };
  const { registry } = parseImageRef(ref);
  return { ...creds, serveraddress: registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry };
}
