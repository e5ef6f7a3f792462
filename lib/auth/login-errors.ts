// What /login?error= may show (issue 21): only messages Wharf or next-auth
// produce, never text from the URL (a link could make the sign-in page say
// anything). Unknown codes read as a generic failure.

const KNOWN: Record<string, string> = {
  CredentialsSignin: "Invalid e-mail or password.",
  SessionRequired: "Sign in to continue.",
  AccessDenied: "Access denied.",
  Configuration: "Sign-in is not configured correctly: see the server log.",
  Verification: "The sign-in link is no longer valid.",
};

const OWN = [/^Invalid e-mail or password\.$/, /^Too many failed sign-in attempts\. Try again in \d{1,3} minute\(s\)\.$/];

/** The message for a `?error=` value (as Next.js decoded it), or undefined when there is none. */
export function loginErrorMessage(raw: string | string[] | undefined): string | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || value === "undefined") return undefined;
  if (Object.hasOwn(KNOWN, value)) return KNOWN[value];
  if (OWN.some((re) => re.test(value))) return value;
  return "Sign-in failed. Try again.";
}
