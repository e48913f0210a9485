import type { Clock } from "../domain/clock.js";

/** Runs `tick` every `pollIntervalMs` until stopped; a tick that throws is reported and the loop goes on. */
export class PollingLoop {
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly pollIntervalMs: number,
    private readonly tick: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Aborted once the loop is told to stop: work under way can end early with it. */
  get stopping(): AbortSignal {
    return this.#stop.signal;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the loop after the tick under way. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.tick();
      } catch (error) {
        this.onError(error);
      }
      await this.clock.sleep(this.pollIntervalMs, this.#stop.signal).catch(() => undefined);
    }
  }
}
