import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";

// Real receivers for notification tests, on loopback: an HTTP sink that
// records every request (and fails the first N of a path when told to), and
// an SMTP server (the smtp-server package) with STARTTLS and AUTH.

export interface SeenRequest { method: string; path: string; headers: IncomingHttpHeaders; body: string }

export interface HttpSink {
  url: string;
  seen: SeenRequest[];
  /** The next `times` requests to `path` answer `status` with `body`. */
  failNext(path: string, times: number, status?: number, body?: string): void;
  close(): Promise<void>;
}

export async function startHttpSink(): Promise<HttpSink> {
  const seen: SeenRequest[] = [];
  const failures = new Map<string, { left: number; status: number; body: string }>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const p = (req.url ?? "/").split("?")[0];
      seen.push({ method: req.method ?? "", path: p, headers: req.headers, body });
      const f = failures.get(p);
      if (f && f.left > 0) {
        f.left--;
        res.writeHead(f.status, { "content-type": "text/plain" });
        res.end(f.body);
        return;
      }
      // Discord answers 204, Slack "ok", ntfy a JSON message: each sink path answers like its service.
      if (p.startsWith("/discord")) res.writeHead(204).end();
      else if (p.startsWith("/slack")) res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      else res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    failNext: (p, times, status = 500, body = "sink down") => void failures.set(p, { left: times, status, body }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedMail { from: string; to: string[]; raw: string; secure: boolean; user: string | undefined }

/** A self-signed certificate for 127.0.0.1/localhost, made with openssl. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "wharf-smtp-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
  return { key: readFileSync(path.join(dir, "key.pem"), "utf8"), cert: readFileSync(path.join(dir, "cert.pem"), "utf8") };
}

/** `secure`: implicit TLS (TLS from the first byte, port 465 style) instead of STARTTLS. */
export async function startSmtpSink(opts: { user: string; pass: string; key: string; cert: string; secure?: boolean }) {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: opts.secure ?? false,
    key: opts.key,
    cert: opts.cert,
    authOptional: false,
    // Like a real submission server: no AUTH before STARTTLS.
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.pass) cb(null, { user: auth.username });
      else cb(new Error("535 5.7.8 Authentication credentials invalid"));
    },
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
      stream.on("end", () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw, secure: session.secure, user: session.user as string | undefined });
        cb();
      });
    },
  });
  // A client that refuses the certificate hangs up mid-handshake; smtp-server reports that as an 'error' event, which unheard would crash the run.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
