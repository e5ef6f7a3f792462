import { execFileSync } from "node:child_process";
import path from "node:path";

// The loopback registries of test/services/start.sh.
export const AUTH_REGISTRY = { host: "127.0.0.1:5050", username: "wharf-ci", password: "wharf-registry-pass" };
export const PUBLIC_REGISTRY = { host: "127.0.0.1:5051" };

/**
 * Pushes local image `src` as `dest` (a fresh digest at every push, and the
 * engine is left without the pushed layer, so a deploy of `dest` really
 * pulls). Returns the pushed digest ("sha256:…").
 */
export function pushTestImage(src: string, dest: string): string {
  const out = execFileSync("bash", [path.resolve("test/images/push.sh"), src, dest], { encoding: "utf8" }).trim();
  const digest = out.split("@")[1];
  if (!digest?.startsWith("sha256:")) throw new Error(`push of ${dest} printed no digest: ${out}`);
  return digest;
}
