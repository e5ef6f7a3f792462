// Child process for the crash-recovery test: starts a deploy against the
// test's database and Docker, prints "CREATED <instance id>" once the
// container exists, "JOB ENDED <id>" once the deploy job has ended, then
// hangs until it is killed with SIGKILL.
const { ensureStarted } = await import("../../lib/startup");
await ensureStarted();
const { db } = await import("../../lib/db");
const { createInstance } = await import("../../lib/deployer/create-instance");
const { SYSTEM_ACTOR } = await import("../../lib/audit/record-event");

const [instanceName, image] = process.argv.slice(2);
const inst = await createInstance({ actor: SYSTEM_ACTOR, body: { name: instanceName, image, port: 8080 } });
for (;;) {
  const dep = await db.deployment.findFirst({ where: { instanceId: inst.id } });
  if (dep?.containerId) break;
  await new Promise((r) => setTimeout(r, 50));
}
console.log(`CREATED ${inst.id}`);
// A test that paused this process (SIGSTOP) and resumed it learns when its job has ended.
const { waitForJob } = await import("../../lib/deployer/jobs");
await waitForJob(inst.id);
console.log(`JOB ENDED ${inst.id}`);
await new Promise(() => {});
export {};
