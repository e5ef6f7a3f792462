import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { expect, test, type APIRequestContext, type Request } from "@playwright/test";
import { multihost } from "../test/multihost";
import { STATE } from "./fixtures/auth";

// Issue 28 as a new user tries it (Settings → Servers, then New instance), on
// the real three-node Swarm of test/services/multihost.sh: h1 the manager on
// mutual TLS, h2 and h3 workers. A Swarm cluster is added with the PEMs pasted
// in, its nodes listed, a worker paused and made active again, a node label
// added and removed; an instance is deployed on the cluster with 2 replicas on
// the workers from the namespaces' registry, served by the real Caddy, scaled
// to 3 from the instance page, removed; then the cluster. A viewer's node
// change is refused. What is changed on the Swarm is checked on the manager's
// own socket, and put back as it was found (afterAll), even on failure.

const rand = randomBytes(3).toString("hex");
const mh = multihost();
const CLUSTER = `swarm-e2e-${rand}`;
const NAME = `sw-e2e-${rand}`;
const SERVICE = `wharf-${NAME}`;
const BASE = `e2e-swarm-${rand}.test`;
const CADDY = { type: "caddy", adminUrl: "http://127.0.0.1:2019", server: "wharf" };
// The public registry on the namespaces' bridge: every node pulls from it (no credentials needed).
const IMAGE = `${mh.registries.public}/lab/web:v1`;
const on = (host: string, ...args: string[]) => execFileSync("docker", ["-H", `unix://${mh.hosts.find((h) => h.name === host)!.socket}`, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const docker = (...args: string[]) => on("h1", ...args);
/** The ids of the test image's pulls on a node (the nodes pull it by digest, untagged). */
const pulled = (host: string) => on(host, "images", "-q", "--no-trunc", IMAGE.split(":").slice(0, -1).join(":")).split("\n").filter(Boolean);
const nodeSpec = (node: string) => JSON.parse(docker("node", "inspect", node, "--format", "{{json .Spec}}")) as { Availability: string; Labels?: Record<string, string> | null };
const serviceExists = () => {
  try {
    docker("service", "inspect", SERVICE, "--format", "{{.ID}}");
    return true;
  } catch {
    return false;
  }
};

function viaCaddy(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: 8480, path: "/", headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from Caddy for ${host}`)));
    req.on("error", reject);
  });
}

type Listed = { id: string; name: string };
const found: Record<string, { Availability: string; Labels: Record<string, string> }> = {};
const foundImages: Record<string, string[]> = {};
let savedSettings: { baseDomain: string; targetAddress: string } | null = null;

async function adminApi(playwright: { request: { newContext: (o: object) => Promise<APIRequestContext> } }, baseURL: string | undefined) {
  return playwright.request.newContext({ baseURL, storageState: STATE.admin, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
}

test.describe.configure({ mode: "serial" });
test.use({ storageState: STATE.admin });

test.beforeAll(async ({ playwright, baseURL }) => {
  // The Swarm as found: every node's availability and labels, restored in afterAll.
  for (const node of ["h1", "h2", "h3"]) {
    const spec = nodeSpec(node);
    found[node] = { Availability: spec.Availability, Labels: spec.Labels ?? {} };
    foundImages[node] = pulled(node);
  }
  expect(Object.values(found).map((n) => n.Availability), "the Swarm's nodes are not all active before the spec").toEqual(["active", "active", "active"]);
  const admin = await adminApi(playwright, baseURL);
  savedSettings = await (await admin.get("/api/settings")).json();
  const put = await admin.put("/api/settings", { data: { baseDomain: BASE, targetAddress: "203.0.113.10", proxy: { provider: CADDY, upstream: { mode: "host", hostAddress: "127.0.0.1" } } } });
  expect(put.status(), await put.text()).toBe(200);
  await admin.dispose();
});

test.afterAll(async ({ playwright, baseURL }) => {
  const admin = await adminApi(playwright, baseURL);
  try {
    // What a failed run left in Wharf: the instance (removed through Wharf, so its route goes too), then the cluster.
    const instances = ((await (await admin.get("/api/instances")).json()) as { items: Listed[] }).items.filter((i) => i.name === NAME);
    for (const i of instances) {
      await admin.delete(`/api/instances/${i.id}`);
      await expect.poll(async () => (await admin.get(`/api/instances/${i.id}`)).status(), { timeout: 60_000 }).toBe(404).catch(() => undefined);
    }
    const servers = ((await (await admin.get("/api/servers")).json()) as { items: Listed[] }).items.filter((s) => s.name === CLUSTER);
    for (const s of servers) await admin.delete(`/api/servers/${s.id}`);
    if (savedSettings) await admin.put("/api/settings", { data: { baseDomain: savedSettings.baseDomain, targetAddress: savedSettings.targetAddress, proxy: { provider: null } } });
  } finally {
    await admin.dispose();
    // The Swarm as it was found, whatever Wharf managed to do: this spec's service gone, the nodes' availability and labels back.
    if (serviceExists()) docker("service", "rm", SERVICE);
    for (const [node, was] of Object.entries(found)) {
      const now = nodeSpec(node);
      const args: string[] = [];
      if (now.Availability !== was.Availability) args.push("--availability", was.Availability);
      for (const k of Object.keys(now.Labels ?? {})) if (!(k in was.Labels)) args.push("--label-rm", k);
      for (const [k, v] of Object.entries(was.Labels)) if (now.Labels?.[k] !== v) args.push("--label-add", `${k}=${v}`);
      if (args.length) docker("node", "update", ...args, node);
    }
    // The image pulls this spec brought onto the nodes, once Swarm has removed the tasks' containers (an image still in use is left).
    for (const node of Object.keys(foundImages)) {
      for (const id of pulled(node).filter((i) => !foundImages[node].includes(i))) {
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            on(node, "rmi", id);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      }
    }
  }
});

test("adds a Swarm cluster over TLS: Test connection says it is a manager, with the engine's version; the nodes are listed", async ({ page, request }) => {
  const read = (p: string) => readFileSync(p, "utf8");
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Add server" });
  await form.getByLabel("Swarm cluster").check();
  await expect(form.getByLabel("TLS", { exact: true })).toBeChecked();
  await form.getByLabel("Server name").fill(CLUSTER);
  await form.getByLabel("Address", { exact: true }).fill(mh.tls.host);
  await form.getByLabel("Port", { exact: true }).fill(String(mh.tls.port));
  await form.getByLabel("CA certificate").fill(read(mh.tls.caPath));
  await form.getByLabel("Client certificate").fill(read(mh.tls.certPath));
  await form.getByLabel("Client key").fill(read(mh.tls.keyPath));
  await form.getByRole("button", { name: "Add server" }).click();
  await expect(form.getByRole("status").first()).toHaveText("Server added.");
  const version = docker("version", "--format", "{{.Server.Version}}");
  const tested = form.getByTestId("server-test-result");
  await expect(tested).toContainText(`✓ Docker ${version} answers at tls://${mh.tls.host}:${mh.tls.port}: a Swarm manager of 3 nodes`, { timeout: 20_000 });
  await expect(tested).toContainText(`Docker ${version} ·`);

  const row = page.getByTestId(`server-${CLUSTER}`);
  await expect(row).toHaveAttribute("data-status", "up");
  await expect(row).toContainText("Swarm cluster");
  await expect(row).toContainText(`Docker ${version}`);
  // The row's own Test connection says the same.
  await row.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId(`server-${CLUSTER}-details`).getByTestId("server-test-result")).toContainText(`✓ Docker ${version} answers at tls://${mh.tls.host}:${mh.tls.port}: a Swarm manager of 3 nodes`);
  const listed = ((await (await request.get("/api/servers")).json()) as { items: (Listed & { kind: string; status: string })[] }).items.find((s) => s.name === CLUSTER);
  expect(listed).toMatchObject({ kind: "swarm", status: "up" });
  // The key never reaches the browser.
  expect(await page.content()).not.toContain(read(mh.tls.keyPath).split("\n")[1]);

  await row.getByRole("button", { name: "Nodes" }).click();
  const nodes = page.getByTestId(`server-${CLUSTER}-nodes`).getByTestId("nodes-table");
  await expect(nodes.locator("tbody tr")).toHaveCount(3);
  for (const h of mh.hosts) {
    const r = nodes.getByTestId(`node-${h.name}`);
    await expect(r.locator("td").nth(1)).toHaveText(h.name === "h1" ? "manager" : "worker");
    await expect(r.locator("td").nth(2)).toHaveText("ready");
    await expect(r.locator("td").nth(3)).toHaveText(h.address);
    await expect(r.getByLabel(`Availability of ${h.name}`)).toHaveValue("active");
  }
});

test("pauses a worker from the select and makes it active again; adds a node label and removes it (each seen on the Swarm)", async ({ page }) => {
  const openNodes = async () => {
    await page.goto("/settings");
    await page.getByTestId(`server-${CLUSTER}`).getByRole("button", { name: "Nodes" }).click();
    return page.getByTestId(`server-${CLUSTER}-nodes`).getByTestId("nodes-table");
  };
  let nodes = await openNodes();
  const availability = () => nodes.getByLabel("Availability of h2");
  await availability().selectOption("pause");
  await expect(nodes).toHaveAttribute("aria-busy", "false");
  await expect(availability()).toHaveValue("pause");
  await expect.poll(() => nodeSpec("h2").Availability).toBe("pause");
  // Saved, not just shown: a fresh page reads it back from the manager.
  nodes = await openNodes();
  await expect(availability()).toHaveValue("pause");
  await availability().selectOption("active");
  await expect(nodes).toHaveAttribute("aria-busy", "false");
  await expect(availability()).toHaveValue("active");
  await expect.poll(() => nodeSpec("h2").Availability).toBe("active");

  const labels = () => nodes.getByTestId("node-h3").getByLabel("Labels of h3");
  await labels().fill(`e2e-${rand}=yes`);
  await nodes.getByTestId("node-h3").getByRole("button", { name: "Save" }).click();
  await expect.poll(() => nodeSpec("h3").Labels ?? {}).toEqual({ ...found.h3.Labels, [`e2e-${rand}`]: "yes" });
  nodes = await openNodes();
  await expect(labels()).toHaveValue(`e2e-${rand}=yes`);
  await labels().fill("");
  await nodes.getByTestId("node-h3").getByRole("button", { name: "Save" }).click();
  await expect.poll(() => nodeSpec("h3").Labels ?? {}).toEqual(found.h3.Labels);
  nodes = await openNodes();
  await expect(labels()).toHaveValue("");
  await page.goto("/activity");
  await expect(page.getByTestId("audit-log").locator("tr", { hasText: "server.node.update" }).first()).toContainText(`${CLUSTER}/h3`);
});

test("a viewer cannot change a node's availability: the API and the page's action are refused, the node is unchanged", async ({ browser, baseURL, request }) => {
  const server = ((await (await request.get("/api/servers")).json()) as { items: Listed[] }).items.find((s) => s.name === CLUSTER)!;
  const nodeId = docker("node", "inspect", "h3", "--format", "{{.ID}}");
  const viewer = await browser.newContext({ storageState: STATE.viewer, baseURL, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
  const admin = await browser.newContext({ storageState: STATE.admin, baseURL, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
  try {
    const page = await viewer.newPage();
    await page.goto("/settings");
    await expect(page.getByText("Read-only: your role is viewer.")).toBeVisible();
    await expect(page.getByTestId(`server-${CLUSTER}`)).toHaveCount(0);
    const api = await page.request.patch(`/api/servers/${server.id}/nodes/${nodeId}`, { data: { availability: "drain" } });
    expect(api.status()).toBe(403);

    // The action request an admin's browser sends for "drain" (captured, never delivered), replayed with the viewer's session.
    const adminPage = await admin.newPage();
    let captured: Request | undefined;
    await adminPage.route("**/settings", async (route) => {
      const r = route.request();
      if (!r.headers()["next-action"] || !(r.postData() ?? "").includes('"drain"')) return route.continue();
      captured = r;
      await route.abort();
    });
    await adminPage.goto("/settings");
    await adminPage.getByTestId(`server-${CLUSTER}`).getByRole("button", { name: "Nodes" }).click();
    await adminPage.getByTestId(`server-${CLUSTER}-nodes`).getByLabel("Availability of h3").selectOption("drain");
    await expect.poll(() => captured).toBeDefined();
    const headers = captured!.headers();
    const res = await page.request.post("/settings", { headers: { "next-action": headers["next-action"], "content-type": headers["content-type"], accept: "text/x-component" }, data: captured!.postDataBuffer()! });
    const body = await res.text();
    expect(body).toContain('"code":"FORBIDDEN"');
    expect(body).not.toContain("Node updated.");
  } finally {
    await viewer.close();
    await admin.close();
  }
  expect(nodeSpec("h3").Availability).toBe("active");
});

test("deploys 2 replicas on the workers from New instance, watches the steps reach running, is served by Caddy, scales to 3, removes it; then removes the cluster", async ({ page, request }) => {
  test.setTimeout(300_000);
  const fqdn = `${NAME}.${BASE}`;
  await page.goto("/instances/new");
  const form = page.getByRole("form", { name: "New instance" });
  await form.getByLabel("Name", { exact: true }).fill(NAME);
  await form.getByLabel("Image", { exact: true }).fill(IMAGE);
  await expect(form.getByLabel("Replicas", { exact: true })).toHaveCount(0);
  await form.getByLabel("Server", { exact: true }).selectOption(CLUSTER);
  await expect(form.getByLabel("Server", { exact: true }).locator("option:checked")).toHaveText(`${CLUSTER} (Swarm cluster, tls, up)`);
  await form.getByLabel("Replicas", { exact: true }).fill("2");
  await form.getByLabel("Placement (one constraint per line)").fill("node.role==worker");
  await form.getByLabel("Container port").fill("8080");
  await form.getByRole("button", { name: "Deploy" }).click();

  await expect(page.getByRole("heading", { level: 1, name: NAME })).toBeVisible();
  const steps = page.getByTestId("deployment-steps").first();
  // The live steps: the digest pinned by the pull, the service created, every task followed to running, the route.
  await expect(steps).toContainText("pull", { timeout: 30_000 });
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 120_000 });
  for (const step of ["pull", "create", "health", "route"]) await expect(steps).toContainText(step);
  await expect(steps).toContainText(`created service ${SERVICE} (2 replicas`);
  await expect(steps).toContainText(/2 tasks running sha256:/);
  await expect(page.getByTestId("instance-server")).toHaveText(CLUSTER);
  await expect(page.getByTestId("instance-replicas")).toContainText("2");
  await expect(page.getByTestId("instance-replicas")).toContainText("placement node.role==worker");
  const tasks = page.getByTestId("instance-task");
  await expect(tasks).toHaveCount(2);
  await expect(tasks.filter({ hasText: /^h\d · running/ })).toHaveCount(2);
  expect((await tasks.allTextContents()).map((t) => t.split(" · ")[0]).sort()).toEqual(["h2", "h3"]);
  expect(docker("service", "inspect", SERVICE, "--format", "{{.Spec.Mode.Replicated.Replicas}}")).toBe("2");

  // The service's log: every task's, gathered by the manager (a Swarm instance has no container of its own).
  await expect(page.getByTestId("container-logs")).toContainText("wharf-test web v1 starting");

  // Usage is read from each node's own engine: neither worker is added as a server here, so the Usage card says so, per node.
  const coverage = page.getByTestId("usage-coverage");
  await expect(coverage).toContainText("Usage from 0 of 2 tasks", { timeout: 30_000 });
  await expect(coverage.getByTestId("usage-unread-node")).toHaveText(["add node h2 as a server to read its usage (1 task)", "add node h3 as a server to read its usage (1 task)"]);

  // Served through Caddy on loopback by the instance's name.
  const served = await viaCaddy(fqdn);
  expect(served.status, served.body).toBe(200);
  expect(served.body).toContain("wharf-test v1");

  // Scale to 3 from the instance page: Swarm adds a task, no image rolls out, the route follows.
  const scale = page.getByRole("form", { name: "Scale" });
  await expect(scale.getByLabel("Replicas", { exact: true })).toHaveValue("2");
  // Out of range first: refused beside the field, nothing changed on the Swarm.
  await scale.getByLabel("Replicas", { exact: true }).fill("101");
  await scale.getByRole("button", { name: "Scale" }).click();
  await expect(scale.locator('[data-field-error="replicas"]')).toContainText("must be at most 100");
  expect(docker("service", "inspect", SERVICE, "--format", "{{.Spec.Mode.Replicated.Replicas}}")).toBe("2");
  await scale.getByLabel("Replicas", { exact: true }).fill("3");
  await scale.getByRole("button", { name: "Scale" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Scaling started." })).toBeVisible();
  await expect(page.getByTestId("instance-status")).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByTestId("instance-tasks").getByTestId("instance-task").filter({ hasText: /^h\d · running/ })).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId("instance-replicas")).toContainText("3");
  await expect(steps).toContainText(`service ${SERVICE} scaled to 3`);
  expect(docker("service", "inspect", SERVICE, "--format", "{{.Spec.Mode.Replicated.Replicas}}")).toBe("3");
  const after = await viaCaddy(fqdn);
  expect(after.status, after.body).toBe(200);
  expect(after.body).toContain("wharf-test v1");

  // Remove from the instance page (confirmed): gone from Wharf and from the Swarm, the route with it.
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/instances$/, { timeout: 60_000 });
  await expect(page.locator(`[data-instance="${NAME}"]`)).toHaveCount(0);
  await expect.poll(serviceExists, { timeout: 30_000 }).toBe(false);
  await expect.poll(async () => (await viaCaddy(fqdn)).body).not.toContain("wharf-test");

  // Then the cluster itself, from Settings → Servers (confirmed).
  await page.goto("/settings");
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`server-${CLUSTER}`).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId(`server-${CLUSTER}`)).toHaveCount(0);
  const names = ((await (await request.get("/api/servers")).json()) as { items: Listed[] }).items.map((s) => s.name);
  expect(names).toEqual(["local"]);
  // The Swarm is as it was found: nodes active, no service of this spec's.
  for (const node of ["h1", "h2", "h3"]) expect(nodeSpec(node)).toMatchObject({ Availability: found[node].Availability });
  expect(serviceExists()).toBe(false);
});
