/** `jobs get`, and following a lifecycle job for the commands that start one with `--wait`. */
import type { Command } from "commander";
import type { Job } from "../client/index.js";
import { type CommandContext, CommandError } from "./commands.js";
import { type OutputFormat, printJson, printTable } from "./output.js";
import { withArguments, withExamples } from "./run-command.js";
import { type TaskView, watchTask } from "./watch.js";

const JOB_FINAL_PHASES = new Set(["Success", "Failed"]);

export function addJobCommands(program: Command): void {
  const jobs = program.command("jobs").description("jobs of the cluster lifecycle: creating, scaling, deleting");
  withExamples(
    jobs.command("get").description("show a job and its sub-jobs, each with its phase").argument("<job>", "job ID"),
    "cce-upgrade jobs get 5b0c…   # the jobID a create, scale or delete printed",
  ).action(withArguments<[string]>((context, [jobId]) => showJob(context, jobId)));
}

async function showJob({ client, output }: CommandContext, jobId: string): Promise<number> {
  printJob(output, await client.showJob({ job_id: jobId }));
  return 0;
}

/**
 * Follows a job to its end on stderr, naming the sub-job it runs; on `Failed` says why on stderr and prints the job.
 * Resolves to the final job, or undefined when it failed.
 */
export async function followJob({ client, output }: CommandContext, jobId: string): Promise<Job | undefined> {
  const job = await watchTask(
    () => client.showJob({ job_id: jobId }),
    jobView,
    (read) => JOB_FINAL_PHASES.has(read.status.phase),
  );
  if (job.status.phase === "Success") return job;
  printJob(output, job);
  process.stderr.write(`${jobLabel(job)} ${job.status.phase}: ${job.status.reason ?? "no reason given"}\n`);
  return undefined;
}

function jobView(job: Job): TaskView {
  const running = job.spec.subJobs.find((sub) => sub.status.phase === "Running");
  return { phase: job.status.phase, step: running?.spec.type };
}

/** The job an answer names: every create, scale and delete answers with one. */
export function startedJob(jobId: string | undefined, what: string): string {
  if (jobId === undefined) throw new CommandError(`the server started no job to wait for: ${what}`);
  return jobId;
}

/** `CreateCluster job 5b0c…`. */
function jobLabel(job: Job): string {
  return `${job.spec.type} job ${job.metadata.uid}`;
}

/** A table of the job, a blank line, and a table of its sub-jobs. */
function printJob(output: OutputFormat, job: Job): void {
  if (output === "json") {
    printJson(job);
    return;
  }
  const { metadata, spec, status } = job;
  printTable(
    ["job", "type", "resource", "phase", "reason", "created"],
    [[metadata.uid, spec.type, spec.resourceName, status.phase, status.reason ?? "", metadata.creationTimestamp]],
  );
  process.stdout.write("\n");
  const rows = spec.subJobs.map((sub) => [sub.metadata.uid, sub.spec.type, sub.status.phase]);
  printTable(["sub-job", "type", "phase"], rows);
}
