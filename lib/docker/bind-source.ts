import { realpath } from "node:fs/promises";
import path from "node:path";
import { env } from "../env";
import { AppError } from "../errors";

// Where a bind mount may come from, judged by real paths. Shared by the
// deployer (at every create) and the runtime (at every start of an existing
// container: the engine resolves the source path again then). On the local
// server the root is WHARF_BIND_ROOT and the paths are resolved here, on
// Wharf's own filesystem; on a remote server they are resolved on that
// server (lib/docker/bind-helper.ts) and judged by judgeRemoteBind below.

/** One bind source to resolve, and the request field a refusal names. */
export type BindRequest = { source: string; field: string };
/** Real paths for `binds`, in order, or throws naming the first refused field. */
export type BindResolver = (binds: BindRequest[]) => Promise<string[]>;

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

/** The local server's resolver: each source against WHARF_BIND_ROOT on this machine. */
export const resolveLocalBindSources: BindResolver = async (binds) => {
  const out: string[] = [];
  for (const b of binds) out.push(await resolveBindSource(b.source, b.field));
  return out;
};

/**
 * What may be sent to a remote server for resolving at all: an absolute path
 * that lies under the server's bind root as typed. Wharf cannot resolve a
 * path outside the root on a filesystem it cannot see, so a source must be
 * written under the root (`..` segments are normalised first: a `..` out of
 * the root is refused here, before the server is asked).
 */
export function precheckRemoteBind(o: { root: string; server: string; bind: BindRequest }): void {
  const { root, server, bind } = o;
  const f = bind.field;
  if (!bind.source.startsWith("/")) throw new AppError("VALIDATION", `${f}: must be an absolute path`, { field: f });
  if (/[\u0000-\u001f\u007f]/.test(bind.source)) throw new AppError("VALIDATION", `${f}: must not contain control characters`, { field: f });
  if (!isUnder(root, path.resolve(bind.source))) throw new AppError("VALIDATION", `${f}: ${bind.source} is outside the bind-mount root ${root} of server ${server}`, { field: f });
}

/**
 * The helper's answer for one source, judged. `rootSeen` is the root's real
 * path inside the helper (where the server's root is mounted at its own
 * path), `line` the helper's line for the source: `OK <real>`,
 * `MISSING [<real>]`, anything else an error. The host path Docker gets is
 * the root as configured plus the resolved path's part below the root.
 */
export function judgeRemoteBind(o: { root: string; rootSeen: string; server: string; bind: BindRequest; line: string | undefined }): string {
  const { root, rootSeen, server, bind } = o;
  const f = bind.field;
  const line = o.line ?? "";
  if (line.startsWith("MISSING")) throw new AppError("VALIDATION", `${f}: ${bind.source} does not exist on server ${server} (a bind source must exist under ${root})`, { field: f });
  const real = line.startsWith("OK /") ? line.slice(3) : null;
  if (real === null) throw new AppError("VALIDATION", `${f}: ${bind.source} could not be checked on server ${server} (the helper answered ${JSON.stringify(line.slice(0, 200))}); not mounted`, { field: f });
  if (!isUnder(rootSeen, real)) {
    throw new AppError("VALIDATION", `${f}: ${bind.source} is outside the allowed bind-mount root ${root} of server ${server} (it resolves to ${real})`, { field: f });
  }
  return path.join(root, path.relative(rootSeen, real));
}
