import { realpath } from "node:fs/promises";
import path from "node:path";
import { env } from "../env";
import { AppError } from "../errors";

// Where a bind mount may come from (WHARF_BIND_ROOT), judged by real paths.
// Shared by the deployer (at every create) and the runtime (at every start
// of an existing container: the engine resolves the source path again then).

/** True when `p` is `root` or lies below it (both absolute and normal). */
export function isUnder(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * A bind source's real path (every symlink resolved), which must exist and
 * lie under WHARF_BIND_ROOT's real path (unset: bind mounts are refused).
 * The caller hands Docker this path, never the typed one.
 */
export async function resolveBindSource(source: string, field: string): Promise<string> {
  const root = env().WHARF_BIND_ROOT;
  if (!root) throw new AppError("VALIDATION", `${field}: bind mounts are off (set WHARF_BIND_ROOT to the host directory they may come from)`, { field });
  let realRoot: string;
  try {
    realRoot = await realpath(path.resolve(root));
  } catch {
    throw new AppError("VALIDATION", `${field}: the bind-mount root ${root} does not exist`, { field });
  }
  let realSource: string;
  try {
    realSource = await realpath(source);
  } catch {
    throw new AppError("VALIDATION", `${field}: ${source} does not exist (a bind source must exist under ${root})`, { field });
  }
  if (!isUnder(realRoot, realSource)) {
    const via = realSource === source ? "" : ` (it resolves to ${realSource})`;
    throw new AppError("VALIDATION", `${field}: ${source} is outside the allowed bind-mount root ${root}${via}`, { field });
  }
  return realSource;
}

