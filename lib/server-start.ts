// Everything a server process starts with. Modules that need a start-up step
// are imported here so their onStarted() hooks are registered before
// startServer() runs them.
import "./deployer/register";

export { startServer } from "./startup";
