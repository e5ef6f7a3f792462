import { X509Certificate } from "node:crypto";
import { inflateRawSync } from "node:zlib";

// NPM keeps only expires_on for a certificate: the issuer it shows in the
// POST's answer (meta.letsencrypt_certificate) is never stored, so a later
// GET has `meta: {}`. The certificate itself says who issued it: NPM serves
// certbot's files as a zip (GET /api/nginx/certificates/:id/download,
// archiver with deflate: cert1.pem, chain1.pem, fullchain1.pem, privkey1.pem).
// Only the certificate is read; the private key in the same zip is dropped.

export interface CertificateFacts {
  issuer: string;
  notAfter: Date;
  names: string[];
}

/** The entries of a zip by name (stored or deflated entries, as archiver writes them). */
export function unzip(buf: Buffer, wanted: (name: string) => boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  // The central directory has the sizes even when a local header defers them to a data descriptor.
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error("not a zip file (no end of central directory)");
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    at += 46 + nameLen + extraLen + commentLen;
    if (!wanted(name)) continue;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    if (method === 0) out.set(name, Buffer.from(data));
    else if (method === 8) out.set(name, inflateRawSync(data));
    else throw new Error(`zip entry ${name} uses compression method ${method}`);
  }
  return out;
}

/** Issuer, expiry and names of the leaf certificate in NPM's download. */
export function certificateFacts(zipFile: Buffer): CertificateFacts {
  const files = unzip(zipFile, (n) => /(^|\/)(cert|fullchain)\d*\.pem$/.test(n));
  const pem = [...files.entries()].sort(([a], [b]) => (a.includes("fullchain") ? 1 : 0) - (b.includes("fullchain") ? 1 : 0))[0]?.[1];
  if (!pem) throw new Error("the download has no cert.pem");
  const x = new X509Certificate(pem);
  const names = (x.subjectAltName ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4).toLowerCase());
  return { issuer: x.issuer.split("\n").join(", "), notAfter: new Date(x.validTo), names };
}
