import { describe, expect, it } from "vitest";
import { isLoopbackHost, normaliseRegistryHost, parseImageRef, pickRepoDigest, registryApiBase } from "./image-ref";

describe("parseImageRef", () => {
  it.each([
    ["nginx", { registry: "docker.io", repository: "library/nginx", tag: "latest", digest: null, name: "nginx" }],
    ["nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27", digest: null }],
    ["index.docker.io/org/app:v1", { registry: "docker.io", repository: "org/app", tag: "v1" }],
    ["wharf-test/web:v1", { registry: "docker.io", repository: "wharf-test/web", tag: "v1" }],
    ["127.0.0.1:5050/lab/web:v1", { registry: "127.0.0.1:5050", repository: "lab/web", tag: "v1", name: "127.0.0.1:5050/lab/web" }],
    ["localhost/app", { registry: "localhost", repository: "app", tag: "latest" }],
    ["ghcr.io/org/app@sha256:abc", { registry: "ghcr.io", repository: "org/app", tag: null, digest: "sha256:abc" }],
    ["GHCR.io/org/app:v1@sha256:abc", { registry: "ghcr.io", repository: "org/app", tag: "v1", digest: "sha256:abc" }],
  ])("%s", (ref, want) => {
    expect(parseImageRef(ref)).toMatchObject(want);
  });
});

describe("registry hosts", () => {
  it("folds Docker Hub's aliases", () => {
    for (const h of ["docker.io", "index.docker.io", "https://index.docker.io/v1/", "registry-1.docker.io"]) expect(normaliseRegistryHost(h)).toBe("docker.io");
    expect(normaliseRegistryHost("GHCR.IO")).toBe("ghcr.io");
  });
  it("uses plain HTTP only on loopback", () => {
    expect(registryApiBase("127.0.0.1:5050")).toBe("http://127.0.0.1:5050");
    expect(registryApiBase("docker.io")).toBe("https://registry-1.docker.io");
    expect(registryApiBase("ghcr.io")).toBe("https://ghcr.io");
    expect(isLoopbackHost("[::1]:5000")).toBe(true);
    expect(isLoopbackHost("127.evil.example:5000")).toBe(false);
  });
});

describe("pickRepoDigest", () => {
  const digests = ["127.0.0.1:5051/lab/web@sha256:bbb", "127.0.0.1:5050/lab/web@sha256:aaa", "nginx@sha256:ccc"];
  it("matches registry and repository, not just the name", () => {
    expect(pickRepoDigest("127.0.0.1:5050/lab/web:v1", digests)).toBe("sha256:aaa");
    expect(pickRepoDigest("docker.io/library/nginx:1", digests)).toBe("sha256:ccc");
    expect(pickRepoDigest("127.0.0.1:5052/lab/web:v1", digests)).toBeNull();
  });
  it("takes the digest a reference pins", () => {
    expect(pickRepoDigest("x/y@sha256:ddd", [])).toBe("sha256:ddd");
  });
});
