// A ustar archive of plain files and directories, for the engine's archive endpoint
// (PUT /containers/{id}/archive), which takes only a tar. Small files only:
// the whole archive is built in memory.

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), "utf8");
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

/** One entry of the archive: a regular file, or a directory (`dir`, no content). */
export interface TarEntry {
  /** Relative to the extraction directory, at most 100 bytes. */
  name: string;
  content?: string | Buffer;
  dir?: boolean;
  /** Default 0644 for a file, 0755 for a directory. */
  mode?: number;
  /** Owner written into the header (the engine applies it when it extracts); default root. */
  uid?: number;
  gid?: number;
}

/** A ustar archive of `entries`, in order. */
export function tarFiles(entries: TarEntry[], mtime = new Date(0)): Buffer {
  const parts: Buffer[] = [];
  for (const f of entries) {
    if (!f.name || Buffer.byteLength(f.name) > 100 || f.name.startsWith("/") || f.name.split("/").includes("..")) {
      throw new Error(`tar entry name "${f.name}" must be a relative path of at most 100 bytes`);
    }
    const body = f.dir ? Buffer.alloc(0) : typeof f.content === "string" ? Buffer.from(f.content ?? "", "utf8") : (f.content ?? Buffer.alloc(0));
    const header = Buffer.alloc(512, 0);
    field(header, 0, 100, f.name);
    field(header, 100, 8, octal(f.mode ?? (f.dir ? 0o755 : 0o644), 8));
    field(header, 108, 8, octal(f.uid ?? 0, 8));
    field(header, 116, 8, octal(f.gid ?? 0, 8));
    field(header, 124, 12, octal(body.length, 12));
    field(header, 136, 12, octal(Math.floor(mtime.getTime() / 1000), 12));
    field(header, 148, 8, "        "); // checksum is computed with its own field as spaces
    field(header, 156, 1, f.dir ? "5" : "0");
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
    let sum = 0;
    for (const b of header) sum += b;
    field(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    parts.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}
