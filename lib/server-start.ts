// Everything a server process starts with. Modules that need a start-up step
// (deploy recovery, the sync scheduler) are imported here so their onStarted()
// hooks are registered before startServer() runs them.
export { startServer } from "./startup";
