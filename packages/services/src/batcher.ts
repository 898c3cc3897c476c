// Calls that arrive together are run as one: the delivery worker's many concurrent attempts each
// read and write one webhook_deliveries row, and one statement for all of them costs the database
// and the pool a round trip instead of one per attempt.

/** What one batch run answers for each input, in input order. */
export type BatchRun<In, Out> = (inputs: In[]) => Promise<Out[]>;

type Pending<In, Out> = { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void };

/**
 * Collects the calls made in one turn of the event loop (at most `maxSize` a batch) and runs them
 * together; while `maxInFlight` batches are running, new calls wait and join the next batch,
 * which therefore grows with the load instead of adding round trips. A failed run fails each of
 * its calls.
 */
export class Batcher<In, Out> {
  private readonly run: BatchRun<In, Out>;
  private readonly maxSize: number;
  private readonly maxInFlight: number;
  private queue: Pending<In, Out>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(run: BatchRun<In, Out>, { maxSize = 500, maxInFlight = 2 }: { maxSize?: number; maxInFlight?: number } = {}) {
    this.run = run;
    this.maxSize = maxSize;
    this.maxInFlight = maxInFlight;
  }

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || !this.queue.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxSize);
      this.inFlight++;
      this.run(batch.map((p) => p.input))
        .then(
          (outputs) => {
            for (const [i, pending] of batch.entries()) pending.resolve(outputs[i]!);
          },
          (error: unknown) => {
            for (const pending of batch) pending.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}
