import { readFileSync } from "node:fs";

/**
 * The node options `npm start` gives the production server (package.json
 * `config.serverNodeOptions`), so that the bench measures the server as it
 * runs, and runs its in-process scenarios with the same heap settings.
 */
export const SERVER_NODE_OPTIONS: string = (JSON.parse(readFileSync("package.json", "utf8")) as { config: { serverNodeOptions: string } }).config.serverNodeOptions;
