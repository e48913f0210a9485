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

describe.runIf(chromiumInstalled)("web console", () => {
  let directory: string;
  let service: ServiceProcess;
  let browser: BrowserContext;
  let page: Page;

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
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
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
    await expect(page.getByRole("list", { name: "Node batch 2 targets" }).textContent()).resolves.toMatch(/Success/);
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
});
