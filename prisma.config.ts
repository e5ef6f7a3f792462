import { defineConfig } from "prisma/config";

// The CLI is only used for `prisma generate` here (see ENVIRONMENT notes in
// README); migrations are applied by the app itself (lib/db/migrate.ts).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "file:./data/wharf.db" },
});
