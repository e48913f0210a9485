import { existsSync, mkdtempSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceProcess, startService } from "../support/service-process.js";

const CHROMIUM = "/usr/bin/chromium";
const PROJECT = "c0501e0000000000000000000000c0de";
const TOKEN = "console-test-token";
const CLUSTER = "c0501e00-0000-4000-8000-00000000c0de";
/** The README's screenshot is rewritten only on request (`SAVE_SCREENSHOT=1`), so a test run leaves the tree clean. */
const SCREENSHOT = process.env.SAVE_SCREENSHOT
  ? new URL("../../docs/console-task.png", import.meta.url).pathname
  : join(mkdtempSync(join(tmpdir(), "cce-console-")), "console-task.png");
/** Long enough for a whole simulated upgrade at SIM_SPEED 20 (a few seconds), short of the test's budget. */
const STEP_TIMEOUT_MS = 15_000;

const seed = {
  projects: [
    {
      id: PROJECT,
      name: "shop",
      tokens: [TOKEN],
      users: [{ name: "operator", password: "operator-password" }],
      clusters: [
        {
          id: CLUSTER,
          name: "shop",
          version: "v1.28.15-r30",
          nodePools: [
            { id: "web", name: "web", nodeCount: 3 },
            { id: "jobs", name: "jobs", nodeCount: 2 },
          ],
          addons: [{ name: "coredns", version: "1.28.4" }],
        },
      ],
    },
  ],
};

/** CI installs Debian's Chromium (`.ci/run`); elsewhere its absence skips the browser test with a warning. */
const chromiumInstalled = existsSync(CHROMIUM);
if (!chromiumInstalled) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is required in CI`);
  console.warn(`${CHROMIUM} is not installed (apt-get install chromium): the browser test is skipped`);
}

/** What the page reports as a Content-Security-Policy violation (Trusted Types included). */
interface Violation {
  readonly page: string;
  readonly directive: string;
  readonly blocked: string;
  readonly sample: string;
}

/** Runs in every document before its own scripts: reports each violation to the test. */
const REPORT_VIOLATIONS = `document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation({ page: document.location.pathname, directive: event.violatedDirective,
    blocked: event.blockedURI, sample: event.sample });
});`;

describe.runIf(chromiumInstalled)("web console", () => {
  let directory: string;
  let service: ServiceProcess;
  let browser: BrowserContext;
  let page: Page;
  const violations: Violation[] = [];
  /** Chromium's own console lines about the policy, in case an event is missed. */
  const policyErrors: string[] = [];
  const pageErrors: string[] = [];
  /** Paths (with query) of the API calls the page made, newest last. */
  let apiRequests: string[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "console-test-"));
    await writeFile(join(directory, "seed.json"), JSON.stringify(seed));
    service = await startService({
      DATABASE_URL: `sqlite:${join(directory, "db.sqlite")}`,
      SEED_FILE: join(directory, "seed.json"),
      SIM_SPEED: "20",
    });
    browser = await chromium.launchPersistentContext(join(directory, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      viewport: { width: 1100, height: 900 },
    });
    await browser.exposeBinding("reportViolation", (_source, violation: Violation) => {
      violations.push(violation);
    });
    await browser.addInitScript(REPORT_VIOLATIONS);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("console", (message) => {
      if (/Content Security Policy|Trusted ?Type/i.test(message.text())) policyErrors.push(message.text());
    });
    page.on("pageerror", (error) => {
      pageErrors.push(error.message);
    });
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (/^\/(api|ext|v3)\//.test(url.pathname)) apiRequests.push(url.pathname + url.search);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop("SIGTERM");
    await rm(directory, { recursive: true, force: true });
  });

  /** The fault API, called as an operator would with curl. */
  async function faults(method: "GET" | "POST" | "DELETE", suffix = "", body?: unknown) {
    const response = await fetch(`${service.address}/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults${suffix}`, {
      method,
      headers: { "x-auth-token": TOKEN, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.ok).toBe(true);
    return response.status === 204 ? undefined : response.json();
  }

  const taskStatus = () => page.getByRole("region", { name: "Task status" });
  const phaseBadge = (scope: Locator, phase: string) => scope.locator(".phase", { hasText: new RegExp(`^${phase}$`) });
  const progressAt = (value: number) => page.locator(`[role=progressbar][aria-valuenow="${value}"]`);

  /** Runs the wizard from the cluster page: pre-check, batch size, optional backup, start. */
  async function upgradeInWizard(target: string, options: { backup: boolean }) {
    await page.getByRole("link", { name: "Upgrade this cluster" }).click();
    await page.getByLabel("Target version").selectOption(target);
    await page.getByRole("button", { name: "Run pre-check" }).click();
    const result = page.getByRole("region", { name: "Pre-check result" });
    await phaseBadge(result, "Success").first().waitFor({ timeout: STEP_TIMEOUT_MS });
    await expect(result.getByRole("rowheader", { name: "UpgradePath" }).count()).resolves.toBe(1);
    await page.getByLabel("Largest batch of nodes upgraded at once").fill("2");
    if (options.backup) await page.getByLabel("Back up the control plane first").check();
    await page.getByRole("button", { name: "Start upgrade" }).click();
    await page.waitForURL(/#\/clusters\/[^/]+\/tasks\//, { timeout: STEP_TIMEOUT_MS });
  }

  it("signs in, lists clusters and runs an upgrade to 100 %", async () => {
    await page.goto(`${service.address}/console`);
    await page.getByLabel("User name", { exact: true }).fill("operator");
    await page.getByLabel("Password", { exact: true }).fill("operator-password");
    await page.getByLabel("Project name").fill("shop");
    await page.getByRole("button", { name: "Sign in" }).click();

    const row = page.getByRole("row", { name: /shop/ });
    await row.waitFor();
    await expect(row.getByRole("cell").allTextContents()).resolves.toEqual(["v1.28.15-r30", "Available", "5"]);
    await row.getByRole("link", { name: "shop" }).click();

    await upgradeInWizard("v1.29.15-r50", { backup: true });
    await progressAt(100).waitFor({ timeout: STEP_TIMEOUT_MS });
    await phaseBadge(taskStatus(), "Success").waitFor();
    const batch = page.getByRole("list", { name: "Node batch 2 targets" });
    await expect(batch.textContent()).resolves.toMatch(/shop-\S+ ?Success ?v1\.29\.15-r50/);
    const head = page.locator(".plan-step", { hasText: "Node batch 2" }).locator(".plan-step-head");
    await expect(head.textContent()).resolves.toMatch(/Success\d+\.\d s/);
  });

  it("pauses and continues, shows a failure with its reason, and retries to success", async () => {
    // Hold the first node batch so that pause lands mid-upgrade; fail a node of a later batch once.
    const stall = (await faults("POST", "", { step: "node", times: 1, mode: "stall", error: "Held" })) as {
      id: string;
    };
    await faults("POST", "", {
      step: "node",
      target: "shop-web-3",
      times: 1,
      error: "PodEvictionFailure",
      message: "pod web-0 cannot be evicted",
    });

    await page.getByRole("link", { name: "shop", exact: true }).click();
    await upgradeInWizard("v1.30.14-r50", { backup: false });
    const firstBatch = page.locator(".plan-step", { hasText: "Node batch 1" });
    await phaseBadge(firstBatch, "Running").first().waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.screenshot({ path: SCREENSHOT });

    const pause = page.getByRole("button", { name: "Pause" });
    await pause.focus();
    await page.keyboard.press("Enter");
    await page.getByText("Pausing after the current step…").waitFor();
    await faults("DELETE", `/${stall.id}`);
    await phaseBadge(taskStatus(), "Pause").waitFor({ timeout: STEP_TIMEOUT_MS });

    await page.getByRole("button", { name: "Continue" }).click();
    await phaseBadge(taskStatus(), "Failed").waitFor({ timeout: STEP_TIMEOUT_MS });
    await expect(taskStatus().getByRole("alert").textContent()).resolves.toMatch(
      /PodEvictionFailure.*shop-web-3.*pod web-0 cannot be evicted|shop-web-3.*PodEvictionFailure/s,
    );

    await page.getByRole("button", { name: "Retry" }).click();
    await phaseBadge(taskStatus(), "Success").waitFor({ timeout: STEP_TIMEOUT_MS });
    await progressAt(100).waitFor();
    await expect(taskStatus().getByRole("alert").count()).resolves.toBe(0);
  });

  it("offers to skip a failed pre-check item, and starts past warnings only once the user confirms", async () => {
    await faults("POST", "", { step: "precheck", target: "ClusterStatus", times: 1, error: "Unhealthy" });
    await faults("POST", "", { step: "precheck", target: "DeprecatedAPIs", times: 2, error: "DeprecatedApiInUse" });
    await page.getByRole("link", { name: "shop", exact: true }).click();
    await page.getByRole("link", { name: "Upgrade this cluster" }).click();
    await page.getByRole("button", { name: "Run pre-check" }).click();
    const result = page.getByRole("region", { name: "Pre-check result" });
    await result.getByText(/pre-check failed: ClusterStatus/).waitFor({ timeout: STEP_TIMEOUT_MS });
    const start = page.getByRole("button", { name: "Start upgrade" });
    await expect(start.isDisabled()).resolves.toBe(true);

    await page.getByRole("button", { name: "Skip ClusterStatus and check again" }).click();
    await result.getByText(/pre-check passed with warnings: DeprecatedAPIs/).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByText("Skipping: ClusterStatus").waitFor();
    expect(apiRequests.filter((path) => path.endsWith("/operation/precheck")).length).toBeGreaterThanOrEqual(2);
    await expect(start.isDisabled()).resolves.toBe(true);
    await page.getByLabel("I have read the warnings above and want to upgrade anyway").check();
    await expect(start.isEnabled()).resolves.toBe(true);
  });

  it("shows the upgrade history and fits a phone-width screen", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.getByRole("link", { name: "shop", exact: true }).click();
    const history = page.getByRole("table");
    await history.getByRole("row", { name: /v1\.30\.14-r50/ }).waitFor();
    await expect(history.getByRole("row").count()).resolves.toBe(3);
    // Evaluated in the page (a string: the test itself is compiled without DOM types).
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
  });

  /** Opens a console route by its hash, as a link would, and forgets the calls made before. */
  async function openRoute(hash: string) {
    apiRequests = [];
    await page.goto(`${service.address}/console/${hash}`);
  }

  /** Waits until the page has called `path` (polling pages call again every second). */
  async function waitForRequest(path: string) {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!apiRequests.includes(path)) {
      if (Date.now() > deadline) throw new Error(`the page never requested ${path}; it requested ${apiRequests}`);
      await page.waitForTimeout(50);
    }
  }

  it("serves the favicon the page links to", async () => {
    const icon = await page.evaluate<string>("document.querySelector('link[rel=icon]')?.href ?? ''");
    expect(icon).toBe(`${service.address}/console/favicon.svg`);
    const answer = await fetch(icon);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  });

  it("puts a cluster ID from the URL into API paths as one encoded segment", async () => {
    const encoded = "..%2F..%2Fv3%2Fauth%2Ftokens";
    const cluster = `/api/v3/projects/${PROJECT}/clusters/${encoded}`;
    await openRoute(`#/clusters/${encoded}`);
    await page.getByRole("heading", { name: "Cluster ../../v3/auth/tokens" }).waitFor();
    await waitForRequest(cluster);
    await waitForRequest(`${cluster}/operation/upgrade/tasks`);
    await page.getByRole("alert").waitFor();
    expect(apiRequests.filter((path) => !path.startsWith(`${cluster}/`) && path !== cluster)).toEqual([]);

    // An unknown cluster's page offers nothing to act on; the wizard's route asks about the same cluster, whole.
    await expect(page.getByRole("link", { name: "Upgrade this cluster" }).count()).resolves.toBe(0);
    await openRoute(`#/clusters/${encoded}/upgrade`);
    await page.getByRole("heading", { name: /^Upgrade from/ }).waitFor();
    await waitForRequest(`${cluster}/upgradeinfo`);
    await waitForRequest(`/ext/v1/projects/${PROJECT}/clusters/${encoded}/nodes`);
  });

  it("keeps ? and # in a task ID inside its path segment", async () => {
    await openRoute(`#/clusters/${CLUSTER}/tasks/a%3Fb%23c%2F..`);
    await waitForRequest(`/api/v3/projects/${PROJECT}/clusters/${CLUSTER}/operation/upgrade/tasks/a%3Fb%23c%2F..`);
    await waitForRequest(`/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/upgrade/tasks/a%3Fb%23c%2F../plan`);
    await page.getByRole("alert").waitFor();
  });

  it("shows a route with a malformed escape as a cluster that is not there", async () => {
    await openRoute("#/clusters/%zz");
    await page.getByRole("heading", { name: "Cluster %zz" }).waitFor();
    await waitForRequest(`/api/v3/projects/${PROJECT}/clusters/%25zz`);
    await page.getByRole("alert").getByText("This project has no cluster %zz.").waitFor();
    await expect(page.getByRole("link", { name: "Upgrade this cluster" }).count()).resolves.toBe(0);
    await expect(page.getByRole("heading", { name: "Upgrade history" }).count()).resolves.toBe(0);
  });

  /** Replaces the tab's stored session, as a stale or tampered tab would have it, and reloads the console. */
  async function reloadWithStoredSession(value: string) {
    await page.evaluate(`sessionStorage.setItem("cce-upgrade-session", ${JSON.stringify(value)})`);
    await page.reload();
  }

  it("signs out, saying why, when the API refuses the stored token", async () => {
    await reloadWithStoredSession(JSON.stringify({ token: "revoked-token", projectId: PROJECT }));
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    await page.getByRole("status").waitFor();
    await expect(page.evaluate('sessionStorage.getItem("cce-upgrade-session")')).resolves.toBeNull();
  });

  it("starts signed out when the stored session is not one", async () => {
    await reloadWithStoredSession("{not json");
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  });

  it("renders the API reference at /docs and calls the API from it", { timeout: 90_000 }, async () => {
    await page.goto(`${service.address}/docs/`);
    const operation = page.locator("#operations-default-ShowCluster");
    // Swagger UI renders the whole document before the first operation appears: slow on a busy machine.
    await operation.waitFor({ timeout: 4 * STEP_TIMEOUT_MS });
    await operation.locator(".opblock-summary-control").click();
    await operation.getByRole("button", { name: "Try it out" }).click();
    await operation.getByPlaceholder("project_id").fill(PROJECT);
    await operation.getByPlaceholder("cluster_id").fill(CLUSTER);
    await operation.getByRole("button", { name: "Execute" }).click();
    await operation.locator(".live-responses-table .response-col_status", { hasText: "401" }).waitFor();

    // The Authorize dialog's form, then the same call with the token.
    await page.locator(".auth-wrapper .authorize").click();
    const dialog = page.locator(".modal-ux");
    await dialog.locator("input").first().fill(TOKEN);
    await dialog.getByRole("button", { name: "Apply credentials" }).first().click();
    await dialog.getByRole("button", { name: "Close" }).first().click();
    await operation.getByRole("button", { name: "Execute" }).click();
    await operation.locator(".live-responses-table .response-col_status", { hasText: "200" }).waitFor();
  });

  it("raised no Content-Security-Policy violation and no uncaught error in any of the above", () => {
    expect(violations).toEqual([]);
    expect(policyErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  // Last: the refused write below is itself a violation.
  it("refuses to write HTML from a string in the console (Trusted Types)", async () => {
    await page.goto(`${service.address}/console/`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    const outcome = await page.evaluate<string>(`(() => {
      try { document.body.insertAdjacentHTML("beforeend", "<img src=x>"); return "written"; }
      catch (error) { return error.name; }
    })()`);
    expect(outcome).toBe("TypeError");
  });
});
