// Image references the way Docker's distribution/reference reads them: the
// first path component is a registry host only when it looks like one (a dot,
// a port, or "localhost"); otherwise the image is on Docker Hub, where a
// one-component name lives under "library/".

export const DOCKER_HUB = "docker.io";
// Names Docker's tooling accepts for Docker Hub; credentials stored under any
// of them apply to all.
const HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

export interface ImageRef {
  /** Normalised registry host[:port] (Docker Hub is always "docker.io"). */
  registry: string;
  /** Repository path inside the registry ("library/nginx", "lab/web"). */
  repository: string;
  tag: string | null;
  digest: string | null;
  /** The reference without tag and digest, as written ("nginx", "127.0.0.1:5050/lab/web"). */
  name: string;
}

/** Lower-cased host with Docker Hub's aliases folded into "docker.io"; strips a scheme and a trailing path. */
export function normaliseRegistryHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const name = rest;
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasHost = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
  const registry = hasHost ? normaliseRegistryHost(first) : DOCKER_HUB;
  let repository = hasHost ? rest.slice(slash + 1) : rest;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!tag && !digest) tag = "latest";
  return { registry, repository, tag, digest, name };
}

/** Loopback registries speak plain HTTP (the engine treats 127.0.0.0/8 as insecure); every other one HTTPS. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Base URL of a registry's HTTP API. */
export function registryApiBase(registry: string): string {
  if (registry === DOCKER_HUB) return "https://registry-1.docker.io";
  return `${isLoopbackHost(registry) ? "http" : "https"}://${registry}`;
}

/**
 * The repo digest of `ref` among an image's RepoDigests ("name@sha256:…"),
 * compared on the normalised registry and repository.
 */
export function pickRepoDigest(ref: string, repoDigests: string[]): string | null {
  const want = parseImageRef(ref);
  if (want.digest) return want.digest;
  for (const rd of repoDigests) {
    const got = parseImageRef(rd);
    if (got.registry === want.registry && got.repository === want.repository && got.digest) return got.digest;
  }
  return null;
}
