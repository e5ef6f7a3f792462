import { describe, expect, it } from "vitest";
import { certbotError, certbotLine } from "./npm-cert";

// certbot's stderr as NPM 2.15.1 sends it in debug.stack: the first line
// prefixed "CommandError: ", the rest certbot's own lines, mostly boilerplate.
const SAVING = "CommandError: Saving debug log to /tmp/letsencrypt-log/letsencrypt.log";
const HELP = "Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /tmp/letsencrypt-log/letsencrypt.log or re-run Certbot with -v for more details.";

describe("certbotLine", () => {
  it("picks certbot's ValueError:/Error: line over the boilerplate", () => {
    expect(certbotLine([SAVING, "Requesting a certificate for a.example.com", "An unexpected error occurred:", "ValueError: Unable to find a pre-existing certificate", HELP])).toBe("ValueError: Unable to find a pre-existing certificate");
    expect(certbotLine([SAVING, "An unexpected error occurred:", "Error: urn:ietf:params:acme:error:rateLimited :: too many certificates", HELP])).toBe("Error: urn:ietf:params:acme:error:rateLimited :: too many certificates");
    expect(certbotLine([SAVING, "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='127.0.0.1', port=14000): Max retries exceeded", HELP])).toBe("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='127.0.0.1', port=14000): Max retries exceeded");
  });

  it("falls back to the CA's Detail: line, then to the first line that is not boilerplate", () => {
    expect(certbotLine([SAVING, "Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority reported these problems:", "  Domain: a.example.com", "  Type:   dns", "  Detail: DNS problem: NXDOMAIN looking up A for a.example.com", HELP])).toBe("Detail: DNS problem: NXDOMAIN looking up A for a.example.com");
    expect(certbotLine([SAVING, "Some challenges have failed.", HELP])).toBe("Some challenges have failed.");
    expect(certbotLine([])).toBeNull();
  });

  it("reads the answer's debug.stack, or NPM's message when there is none", () => {
    expect(certbotError({ status: 500, body: { error: { code: 500, message: "Internal Error" }, debug: { stack: [SAVING, "Error: boom", HELP], previous: { code: 1, killed: false, signal: null, cmd: "certbot certonly" } } }, message: "Internal Error" })).toBe(
      "Nginx Proxy Manager could not obtain a certificate (500): Error: boom",
    );
    expect(certbotError({ status: 500, body: { error: { code: 500, message: "Internal Error" } }, message: "Internal Error" })).toBe("Nginx Proxy Manager could not obtain a certificate (500): Internal Error");
  });
});
