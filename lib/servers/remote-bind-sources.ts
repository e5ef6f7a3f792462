import { db } from "../db";
import { env } from "../env";
import { AppError, errorMessage } from "../errors";
import { judgeRemoteBind, precheckRemoteBind, type BindResolver } from "../docker/bind-source";
import { runBindHelper } from "../docker/bind-helper";
import type { ContainerRuntime } from "../docker/types";
import { LABEL_INSTALLATION } from "../naming";
import { pullAuthFor } from "../registry/credentials-for";
import { installationId } from "../secrets";
import { getSettings } from "../settings/get-settings";

// Bind mounts on a remote server (issue 27): the bind root is the server's
// own `bindRoot` (none: refused), and a source's symlinks are resolved on
// that server, because Wharf cannot see its filesystem: a helper container
// on the server's engine does it (lib/docker/bind-helper.ts), at every check
// (the API's, every create, every start), as WHARF_BIND_ROOT's check does
// locally. One mechanism for TLS and SSH servers alike: a TLS server has no
// shell to ask. The row is read at every check, so an edited root applies
// at once without a new engine connection.

/** The resolver of the server `serverId`, running its helper through `rt()` (the server's own runtime). */
export function remoteBindResolver(serverId: string, rt: () => ContainerRuntime): BindResolver {
  return async (binds) => {
    if (!binds.length) return [];
    const field = binds[0].field;
    const server = await db.server.findUnique({ where: { id: serverId }, select: { name: true, kind: true, bindRoot: true } });
    if (!server) throw new AppError("NOT_FOUND", `server ${serverId} not found`);
    if (server.kind === "swarm") throw new AppError("VALIDATION", `${field}: bind mounts are not available on a Swarm cluster (${server.name}): a task may run on any node; use a named volume`, { field });
    const root = server.bindRoot;
    if (!root) throw new AppError("VALIDATION", `${field}: bind mounts are off on server ${server.name} (set the server's bindRoot to the directory on it they may come from)`, { field });
    for (const bind of binds) precheckRemoteBind({ root, server: server.name, bind });
    const image = env().WHARF_HELPER_IMAGE;
    let answer: Awaited<ReturnType<typeof runBindHelper>>;
    try {
      answer = await runBindHelper({ rt: rt(), image, auth: pullAuthFor(await getSettings(), image), root, sources: binds.map((b) => b.source), labels: { [LABEL_INSTALLATION]: installationId() } });
    } catch (err) {
      const code = err instanceof AppError ? err.code : "PROVIDER_ERROR";
      throw new AppError(code, `${field}: the bind sources could not be checked on server ${server.name}: ${errorMessage(err)}; nothing is mounted`, { field });
    }
    const rootSeen = answer.rootSeen;
    if (!rootSeen) throw new AppError("VALIDATION", `${field}: the bind-mount root ${root} is not a directory on server ${server.name}`, { field });
    if (answer.lines.length !== binds.length) throw new AppError("PROVIDER_ERROR", `${field}: the bind-check helper on server ${server.name} answered ${answer.lines.length} lines for ${binds.length} sources; nothing is mounted`, { field });
    return binds.map((bind, i) => judgeRemoteBind({ root, rootSeen, server: server.name, bind, line: answer.lines[i] }));
  };
}
