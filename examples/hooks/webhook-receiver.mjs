// A small webhook receiver for cce-upgrade's hook driver: it verifies each call with the Standard Webhooks library,
// then runs the step with a command (by default ./dry-run-step.sh beside this file, which changes nothing), one run
// per idempotency key.
// A template to adapt, not a product: it keeps its runs in memory, so after its own restart it relies on `observe`.
//
//   WEBHOOK_SECRET=whsec_… PORT=9000 node examples/hooks/webhook-receiver.mjs
//   STEP_COMMAND="/path/to/step.sh arg" sets the command (split on spaces), e.g. an adapted ./kubeadm-step.sh.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error("set WEBHOOK_SECRET to the cluster's whsec_… secret");
const verifier = new Webhook(secret);
const [program, ...args] = (process.env.STEP_COMMAND ?? new URL("./dry-run-step.sh", import.meta.url).pathname).split(
  /\s+/,
);
const POLL_SECONDS = Number(process.env.POLL_SECONDS ?? 5);

/** Runs by idempotency key: the same key is never run twice, a repeated call reports on the run. */
const runs = new Map();

/** Runs the step command with the request on stdin and in CCE_* variables; resolves with its exit and stderr. */
function runStep(request) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: { ...process.env, ...environment(request) } });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(request));
    child.on("error", (error) => resolve({ code: -1, stderr: error.message }));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

function environment(request) {
  return {
    CCE_HOOK_PHASE: request.phase,
    CCE_IDEMPOTENCY_KEY: request.idempotencyKey,
    CCE_TASK_ID: request.taskId,
    CCE_CLUSTER_ID: request.cluster.id,
    CCE_CLUSTER_NAME: request.cluster.name,
    CCE_STEP_KIND: request.step.kind,
    CCE_STEP_NAME: request.step.name,
    CCE_STEP_INDEX: String(request.step.index),
    CCE_TARGET: request.target.name,
    CCE_TARGET_ID: request.target.id ?? "",
    CCE_TARGET_POOL: request.target.pool ?? "",
    CCE_FROM_VERSION: request.fromVersion,
    CCE_TO_VERSION: request.toVersion,
    CCE_ATTEMPT: String(request.attempt),
  };
}

const lastLines = (text) => text.trim().split("\n").slice(-5).join("; ");

async function answer(request) {
  if (request.phase === "observe") {
    const { code } = await runStep(request);
    return code === 0 ? { status: "Success" } : { status: "InProgress" };
  }
  let run = runs.get(request.idempotencyKey);
  if (!run) {
    run = { state: "running" };
    runs.set(request.idempotencyKey, run);
    runStep(request).then(({ code, stderr }) => {
      run.state = code === 0 ? "done" : "failed";
      run.reason = lastLines(stderr) || `step command exited with ${code}`;
    });
  }
  if (run.state === "done") return { status: "Success" };
  if (run.state === "failed") return { status: "Failure", reason: run.reason, errorCode: "StepCommandFailed" };
  return { status: "InProgress", retryAfterSeconds: POLL_SECONDS };
}

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString("utf8");
  let request;
  try {
    request = verifier.verify(body, req.headers);
  } catch (error) {
    res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: error.message }));
    return;
  }
  const reply = await answer(request);
  console.log(`${request.phase} ${request.idempotencyKey} → ${reply.status}`);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
});

server.listen(Number(process.env.PORT ?? 9000), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`hook receiver listening at http://${process.env.HOST ?? "127.0.0.1"}:${server.address().port}`);
});
