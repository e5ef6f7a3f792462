// A ustar archive of plain files, for the engine's archive endpoint
// (PUT /containers/{id}/archive), which takes only a tar. Small files only:
// the whole archive is built in memory.

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), "utf8");
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

/** One regular file per entry (`name` relative to the extraction directory, at most 100 bytes), mode 0644, owned by root. */
export function tarFiles(files: Array<{ name: string; content: string | Buffer }>, mtime = new Date(0)): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (!f.name || Buffer.byteLength(f.name) > 100 || f.name.startsWith("/") || f.name.split("/").includes("..")) {
      throw new Error(`tar entry name "${f.name}" must be a relative path of at most 100 bytes`);
    }
    const body = typeof f.content === "string" ? Buffer.from(f.content, "utf8") : f.content;
    const header = Buffer.alloc(512, 0);
    field(header, 0, 100, f.name);
    field(header, 100, 8, octal(0o644, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(body.length, 12));
    field(header, 136, 12, octal(Math.floor(mtime.getTime() / 1000), 12));
    field(header, 148, 8, "        "); // checksum is computed with its own field as spaces
    field(header, 156, 1, "0");
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
