import Docker from "dockerode";

/** Raw engine access for assertions the runtime interface does not expose (inspect's HostConfig, exec). */
export const docker = new Docker({ socketPath: "/var/run/docker.sock" });

/** Runs `cmd` in a running container (no shell unless cmd names one) and returns its stdout+stderr and exit code. */
export async function execIn(containerId: string, cmd: string[]): Promise<{ output: string; exitCode: number | null }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const sink = { write: (b: Buffer) => (chunks.push(Buffer.from(b)), true) } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, sink, sink);
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  const info = await exec.inspect();
  return { output: Buffer.concat(chunks).toString("utf8"), exitCode: info.ExitCode ?? null };
}
