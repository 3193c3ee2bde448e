/*
 * Group commit for small writes that arrive together (docs/adr/0005-batched-flattrs.md): callers
 * submit one item each and await its own result; the batcher sends what has queued up as one
 * batch, so many requests share one statement, one transaction and one commit. With nothing in
 * flight an item leaves at once (after the current I/O callbacks, so requests parsed together
 * travel together); only when `maxInFlight` batches are already running does it wait, and then
 * for the earliest of them (`lightLoad` allows more batches while those running are small,
 * docs/adr/0032). Under light load that is one item per batch and no added latency;
 * under heavy load batches grow by themselves, which is when sharing a commit pays.
 * A `run` that never settles keeps its slot: callers bound their statements (the database's
 * timeouts, a broken connection's error), not the batcher.
 */

export interface BatcherOptions<I, O> {
  /**
   * Runs one batch. Answers one result per item, in the items' order: the item's value, or an
   * Error that belongs to that item alone. Throwing fails every item of the batch with it.
   */
  run: (items: I[]) => Promise<(O | Error)[]>;
  /** Items per batch at most. */
  maxBatch: number;
  /** Batches running at once at most (at most the connections the batches may use). */
  maxInFlight: number;
  /**
   * Light load: while the batches running hold fewer than `belowItems` items in all, up to
   * `maxInFlight` batches (more than the option above) may run. A small batch takes about as long
   * as a larger one, so under light load a waiting item gains more from a batch of its own than
   * the extra commit costs; under heavy load the batches are large and the limit above holds.
   */
  lightLoad?: { maxInFlight: number; belowItems: number };
}

/** One batch as it ran: for a benchmark's figures (observeBatches). */
export interface BatchStats {
  /** Items in the batch. */
  size: number;
  /** Batches running when it started, itself included. */
  inFlight: number;
  /** Its items' time in the queue, summed (ms; from submit to the batch's start). */
  queuedMs: number;
  /** From its start until its run settled (ms). */
  runMs: number;
}

let observer: ((s: BatchStats) => void) | null = null;

/**
 * Reports every batch of every Batcher in this process to `fn` (null: no more). For benchmarks
 * (bench/api): where a request's time goes, queued or running (docs/adr/0032).
 */
export function observeBatches(fn: ((s: BatchStats) => void) | null): void {
  observer = fn;
}

interface Waiting<I, O> {
  /** performance.now() at submit, only while a benchmark observes batches (else 0). */
  at: number;
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, O> {
  readonly #run: BatcherOptions<I, O>["run"];
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #lightMaxInFlight: number;
  readonly #lightBelowItems: number;
  #itemsInFlight = 0;
  #queue: Waiting<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: BatcherOptions<I, O>) {
    const light = options.lightLoad ?? { maxInFlight: options.maxInFlight, belowItems: 0 };
    for (const n of [options.maxBatch, options.maxInFlight, light.maxInFlight])
      if (!Number.isSafeInteger(n) || n < 1)
        throw new RangeError("maxBatch and maxInFlight must be whole numbers of at least 1");
    if (!Number.isSafeInteger(light.belowItems) || light.belowItems < 0)
      throw new RangeError("lightLoad.belowItems must be a whole number of at least 0");
    this.#run = options.run;
    this.#maxBatch = options.maxBatch;
    this.#maxInFlight = options.maxInFlight;
    this.#lightMaxInFlight = light.maxInFlight;
    this.#lightBelowItems = light.belowItems;
  }

  /** Batches running now (for tests and metrics). */
  get inFlight(): number {
    return this.#inFlight;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ at: observer ? performance.now() : 0, item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || !this.#slotFree()) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #slotFree(): boolean {
    return (
      this.#inFlight < this.#maxInFlight ||
      (this.#inFlight < this.#lightMaxInFlight && this.#itemsInFlight < this.#lightBelowItems)
    );
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#slotFree()) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      this.#itemsInFlight += batch.length;
      void this.#send(batch);
    }
  }

  async #send(batch: Waiting<I, O>[]): Promise<void> {
    let results: (O | Error)[] | undefined;
    let failure: unknown;
    const started = observer ? performance.now() : 0;
    const inFlight = this.#inFlight;
    try {
      results = await this.#run(batch.map((w) => w.item));
      if (results.length !== batch.length)
        throw new Error(`batch of ${batch.length} answered ${results.length} results`);
    } catch (error) {
      results = undefined;
      failure = error;
    }
    if (observer && started > 0)
      observer({
        size: batch.length,
        inFlight,
        queuedMs: batch.reduce((sum, w) => sum + (w.at > 0 ? started - w.at : 0), 0),
        runMs: performance.now() - started,
      });
    // The slot is free before any caller hears back, so one that submits again at once finds it.
    this.#inFlight--;
    this.#itemsInFlight -= batch.length;
    if (this.#queue.length > 0) this.#schedule();
    if (!results) {
      for (const w of batch) w.reject(failure);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i] as O | Error;
      if (r instanceof Error) w.reject(r);
      else w.resolve(r);
    });
  }
}
