/** Polls a task until it reaches a final phase, showing its progress on stderr. */
import { setTimeout as sleep } from "node:timers/promises";
import { Presets, SingleBar } from "cli-progress";

const POLL_INTERVAL_MS = 500;

/** What the display shows of a task at one poll. */
export interface TaskView {
  readonly phase: string;
  /** 0–100; undefined for tasks that report no progress (pre-checks). */
  readonly percent?: number;
  /** What the task is working on, e.g. `node batch 2/4 · prod-a-defaultpool-3`; undefined when no step is. */
  readonly step?: string;
}

interface ProgressDisplay {
  update(view: TaskView): void;
  finish(view: TaskView): void;
}

/** Polls `read` until `isFinal` says so; returns the last answer. */
export async function watchTask<T>(
  read: () => Promise<T>,
  viewOf: (task: T) => TaskView,
  isFinal: (task: T) => boolean,
): Promise<T> {
  const display = process.stderr.isTTY ? progressBar() : plainLines();
  for (;;) {
    const task = await read();
    if (isFinal(task)) {
      display.finish(viewOf(task));
      return task;
    }
    display.update(viewOf(task));
    await sleep(POLL_INTERVAL_MS);
  }
}

function progressBar(): ProgressDisplay {
  const bar = new SingleBar(
    { format: "{bar} {percentage}% | {status}", stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(100, 0, { status: "Init" });
  const status = (view: TaskView) => withStep(view.phase, view);
  return {
    update: (view) => bar.update(view.percent ?? 0, { status: status(view) }),
    finish: (view) => {
      bar.update(view.percent ?? 100, { status: status(view) });
      bar.stop();
    },
  };
}

/** One line per change, for logs and pipes where a redrawn bar would be noise. */
function plainLines(): ProgressDisplay {
  let last = "";
  const print = (view: TaskView) => {
    const line = withStep(view.percent === undefined ? view.phase : `${view.phase} ${view.percent.toFixed(2)}%`, view);
    if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
  };
  return { update: print, finish: print };
}

function withStep(text: string, view: TaskView): string {
  return view.step === undefined ? text : `${text} | ${view.step}`;
}
