// Everything a server process starts with. Modules that need a start-up step
// are imported here so their onStarted() hooks are registered (in this order)
// before startServer() runs them: crash recovery first, then the scheduler.
import "./deployer/register";
import "./reconcile/register";
import "./retention/register";
import "./updates/register";
import "./usage/register";
import "./notifications/register";

export { startServer } from "./startup";
