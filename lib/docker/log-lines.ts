// Docker multiplexes stdout and stderr of a non-TTY container into frames:
// [stream(1) 0 0 0 length(4, big-endian)] + payload. Frames do not align
// with lines or with network chunks, so both are reassembled here.

export type LogLine = { stream: "stdout" | "stderr"; line: string };

export class LogLineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  // A TTY container's log is raw bytes with no frame headers.
  private raw: boolean | null = null;
  private partial = { stdout: "", stderr: "" };
  private readonly decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  /** Feed one chunk; returns the lines it completed. */
  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: LogLine[] = [];
    if (this.raw === null) {
      if (this.pending.length < 4) return out;
      // Frame headers start with 0/1/2 followed by three zero bytes; text never does.
      this.raw = !(this.pending[0] <= 2 && this.pending.readUIntBE(1, 3) === 0);
    }
    if (this.raw) {
      this.text("stdout", this.pending, out);
      this.pending = Buffer.alloc(0);
      return out;
    }
    while (this.pending.length >= 8) {
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      const stream = this.pending[0] === 2 ? "stderr" : "stdout";
      this.text(stream, this.pending.subarray(8, 8 + len), out);
      this.pending = this.pending.subarray(8 + len);
    }
    return out;
  }

  /** Lines still open at the end of the log (no trailing newline). */
  flush(): LogLine[] {
    const out: LogLine[] = [];
    if (this.raw === null && this.pending.length) this.text("stdout", this.pending, out);
    this.pending = Buffer.alloc(0);
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = this.partial[stream] + this.decoders[stream].decode();
      if (rest) out.push({ stream, line: rest.replace(/\r$/, "") });
      this.partial[stream] = "";
    }
    return out;
  }

  private text(stream: "stdout" | "stderr", bytes: Uint8Array, out: LogLine[]) {
    const parts = (this.partial[stream] + this.decoders[stream].decode(bytes, { stream: true })).split("\n");
    this.partial[stream] = parts.pop() ?? "";
    for (const p of parts) out.push({ stream, line: p.replace(/\r$/, "") });
  }
}

/** All lines of a complete log buffer. */
export function splitLogBuffer(buf: Buffer): LogLine[] {
  const s = new LogLineSplitter();
  return [...s.push(buf), ...s.flush()];
}
