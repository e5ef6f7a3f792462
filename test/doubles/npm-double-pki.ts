import { execFileSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateRawSync } from "node:zlib";

// What certbot leaves in NPM's /etc/letsencrypt/live/npm-<id>/ for the double:
// real certificates signed by a throwaway intermediate (openssl), so a client
// that reads the issuer and expiry from the certificate itself is tested
// against a certificate, not against a field.

export interface IssuedPem {
  cert: string;
  chain: string;
  key: string;
  notAfter: Date;
  notBefore: Date;
  /** As `openssl x509 -issuer` prints it (NPM's meta.letsencrypt_certificate.issuer). */
  issuer: string;
}

let ca: { dir: string; name: string; cert: string } | null = null;

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function intermediate() {
  if (ca) return ca;
  const dir = mkdtempSync(path.join(tmpdir(), "npm-double-ca-"));
  const name = `Pebble Intermediate CA ${randomBytes(3).toString("hex")}`;
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650", "-subj", `/CN=${name}`, "-keyout", "ca.key", "-out", "ca.pem"], dir);
  ca = { dir, name, cert: readFileSync(path.join(dir, "ca.pem"), "utf8") };
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return ca;
}

/** A leaf certificate for `domains`, valid `days` from now, signed by the double's intermediate. */
export function issuePem(domains: string[], days = 90): IssuedPem {
  const { dir: caDir, name, cert: chain } = intermediate();
  const dir = mkdtempSync(path.join(tmpdir(), "npm-double-leaf-"));
  try {
    writeFileSync(path.join(dir, "ext.cnf"), `subjectAltName=${domains.map((d) => `DNS:${d}`).join(",")}\n`);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${domains[0]}`, "-keyout", "leaf.key", "-out", "leaf.csr"], dir);
    openssl(["x509", "-req", "-in", "leaf.csr", "-CA", path.join(caDir, "ca.pem"), "-CAkey", path.join(caDir, "ca.key"), "-set_serial", `0x${randomBytes(8).toString("hex")}`, "-days", String(Math.max(1, Math.ceil(days))), "-extfile", "ext.cnf", "-out", "leaf.pem"], dir);
    const cert = readFileSync(path.join(dir, "leaf.pem"), "utf8");
    const x = new X509Certificate(cert);
    return { cert, chain, key: readFileSync(path.join(dir, "leaf.key"), "utf8"), notAfter: new Date(x.validTo), notBefore: new Date(x.validFrom), issuer: `CN = ${name}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip of deflated entries, as NPM's download (archiver, zlib) sends it. */
export function zip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, "utf8");
    const packed = deflateRawSync(data);
    const nameBuf = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}
