import { randomBytes } from "node:crypto";
import { AppError, errorMessage } from "../errors";
import type { ContainerRuntime, PullAuth } from "./types";

// Resolving bind sources on a server Wharf cannot see the filesystem of
// (issue 27): a short-lived helper container on that server's engine mounts
// the server's bind root read-only AT ITS OWN PATH and prints the real path
// of each source. Inside it, every path under the root is the server's (so
// a symlink from one place in the root to another, absolute or relative,
// resolves as on the server), and every path outside it is the helper's own
// image: a link to `/` or `/etc` resolves outside the root and is refused,
// whatever the server has there. One helper per check, however many sources.

/** A container label that names the helper (it carries no wharf.managed: it is never an orphan or an instance's). */
export const LABEL_HELPER = "wharf.helper";

/**
 * Prints `ROOT <hex>` (or `NOROOT`), then one line per source: `OK <hex>`, or
 * `MISSING`; each path hex-encoded byte for byte, so a name with a newline or
 * a carriage return (which log lines lose) cannot change what is read back.
 * Needs sh, realpath, printf, od and tr (busybox has them all).
 */
const SCRIPT = [
  "hex() { printf %s \"$1\" | od -An -v -tx1 | tr -d ' \\n'; }",
  // $(…) drops every trailing newline of a name: the x keeps them, then exactly realpath's own newline is cut.
  "nl='\n'",
  'real() { r=$(realpath "$1" 2>/dev/null && echo x) || return 1; r=${r%x}; r=${r%"$nl"}; }',
  'real "$1" && [ -d "$r" ] && printf "ROOT %s\\n" "$(hex "$r")" || { printf "NOROOT\\n"; exit 0; }',
  "shift",
  'for p in "$@"; do',
  '  if real "$p" && [ -e "$r" ]; then printf "OK %s\\n" "$(hex "$r")"; else printf "MISSING\\n"; fi',
  "done",
].join("\n");

/** A hex-encoded path back to text; null unless it is valid UTF-8 without control characters. */
export function decodeHexPath(hex: string): string | null {
  if (!/^([0-9a-f]{2})+$/.test(hex)) return null;
  const text = Buffer.from(hex, "hex").toString("utf8");
  if (Buffer.from(text, "utf8").toString("hex") !== hex || /[\u0000-\u001f\u007f]/.test(text)) return null;
  return text;
}

export interface HelperAnswer {
  /** The root's real path as the helper sees it; null when the root is not a directory. */
  rootSeen: string | null;
  /** One line per source, in order: `OK <real path>`, `MISSING`, or `BAD <what came>` when it could not be read. */
  lines: string[];
}

function decodeLine(line: string): string {
  if (line === "MISSING") return line;
  const path = line.startsWith("OK ") ? decodeHexPath(line.slice(3)) : null;
  return path?.startsWith("/") ? `OK ${path}` : `BAD ${line.slice(0, 100)}`;
}

/** The helper image on the engine: pulled (with the registry's credentials) when it is not there. */
async function ensureImage(rt: ContainerRuntime, image: string, auth: PullAuth | undefined, signal?: AbortSignal): Promise<void> {
  if (await rt.imageInfo(image)) return;
  try {
    await rt.pullImage(image, undefined, signal, auth);
  } catch (err) {
    throw new AppError("PROVIDER_ERROR", `the bind-check helper image ${image} could not be pulled (set WHARF_HELPER_IMAGE to an image the server can pull, with sh and realpath): ${errorMessage(err)}`);
  }
}

/**
 * Runs the helper on `rt`'s engine: `root` mounted read-only at `root`, no
 * network, small limits, removed afterwards whatever happens. Throws when
 * the helper cannot be run or does not finish within `timeoutMs`.
 */
export async function runBindHelper(o: { rt: ContainerRuntime; image: string; auth?: PullAuth; root: string; sources: string[]; labels: Record<string, string>; timeoutMs?: number; signal?: AbortSignal }): Promise<HelperAnswer> {
  const { rt, image, root } = o;
  const timeoutMs = o.timeoutMs ?? 20_000;
  await ensureImage(rt, image, o.auth, o.signal);
  const name = `wharf-bindcheck-${randomBytes(5).toString("hex")}`;
  const created = await rt.createContainer({
    name,
    image,
    env: {},
    labels: { ...o.labels, [LABEL_HELPER]: "bind-check" },
    network: "none",
    port: 9,
    restartPolicy: "no",
    mounts: [{ type: "bind", source: root, target: root, readOnly: true }],
    memoryBytes: 32 * 1024 * 1024,
    pidsLimit: 32,
    entrypoint: ["sh", "-c", SCRIPT, "wharf-bindcheck"],
    cmd: [root, ...o.sources],
  });
  try {
    await rt.startContainer(created.id);
    const until = Date.now() + timeoutMs;
    for (;;) {
      o.signal?.throwIfAborted();
      const info = await rt.inspectContainer(created.id);
      if (!info) throw new AppError("PROVIDER_ERROR", `the bind-check helper ${name} disappeared`);
      if (info.state === "exited" || info.state === "dead") {
        if (info.exitCode !== 0) throw new AppError("PROVIDER_ERROR", `the bind-check helper ended with exit code ${info.exitCode}${info.error ? `: ${info.error}` : ""}`);
        break;
      }
      if (Date.now() > until) throw new AppError("TIMEOUT", `the bind-check helper did not finish within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const out: string[] = [];
    for await (const l of rt.containerLogs(created.id, { follow: false })) if (l.stream === "stdout") out.push(l.line);
    const [first = "", ...lines] = out;
    return { rootSeen: first.startsWith("ROOT ") ? decodeHexPath(first.slice(5)) : null, lines: lines.map(decodeLine) };
  } finally {
    await rt.removeContainer(created.id).catch(() => undefined);
  }
}
