import type { NextConfig } from "next";

const config: NextConfig = {
  // The Docker image uses Next's standalone output; `npm start` uses the regular build.
  output: process.env.WHARF_STANDALONE === "1" ? "standalone" : undefined,
  // Native and server-only packages stay out of the bundle (ENVIRONMENT.md).
  serverExternalPackages: ["better-sqlite3", "dockerode", "ssh2", "docker-modem", "@node-rs/argon2", "pino", "@prisma/adapter-better-sqlite3"],
  poweredByHeader: false,
  // Wharf uses no next/image: keep sharp (~20 MB) out of the standalone image.
  outputFileTracingExcludes: { "*": ["node_modules/sharp/**", "node_modules/@img/**"] },
  // `tsc --noEmit` is its own CI step (and covers tests, scripts and the CLI);
  // checking again inside `next build` only doubles the build time.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
};

export default config;
