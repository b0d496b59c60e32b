/**
 * A fixed pool of module workers for CPU-bound steps (JSON parsing, Parquet encoding), so a bulk
 * job uses every core. Where workers are unavailable (Deno Deploy), callers run the same function
 * inline: {@linkcode workersAvailable} tells them which.
 * @module
 */

interface Task {
  input: unknown;
  transfer: Transferable[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type Reply = { ok: true; value: unknown } | { ok: false; message: string };

export interface WorkerPool<I, O> {
  readonly size: number;
  /** Run one task on the next free worker. `transfer` moves buffers instead of copying them. */
  run(input: I, transfer?: Transferable[]): Promise<O>;
  /** Terminate every worker; tasks still queued are rejected. */
  close(): void;
}

/** Whether this runtime can start module workers. */
export function workersAvailable(): boolean {
  return typeof Worker === "function" && !Deno.env.get("DENO_DEPLOYMENT_ID");
}

/** Start `size` workers running `moduleUrl`, which must call {@linkcode serveWorker}. */
export function createWorkerPool<I, O>(moduleUrl: URL, size: number): WorkerPool<I, O> {
  const queue: Task[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Task>();
  let closed = false;

  const start = () => {
    const w = new Worker(moduleUrl, { type: "module" });
    w.onmessage = (e: MessageEvent<Reply>) => {
      const task = busy.get(w)!;
      busy.delete(w);
      if (e.data.ok) task.resolve(e.data.value);
      else task.reject(new Error(e.data.message));
      release(w);
    };
    w.onerror = (e) => {
      // A crashed worker is replaced; only its own task fails.
      e.preventDefault();
      const task = busy.get(w);
      busy.delete(w);
      w.terminate();
      task?.reject(new Error(`Worker ${moduleUrl.pathname} crashed: ${e.message}`));
      if (!closed) release(start());
    };
    return w;
  };
  const release = (w: Worker) => {
    const next = queue.shift();
    if (!next) return void idle.push(w);
    busy.set(w, next);
    w.postMessage(next.input, next.transfer);
  };
  for (let i = 0; i < size; i++) idle.push(start());

  return {
    size,
    run(input, transfer = []) {
      if (closed) return Promise.reject(new Error("Cannot run a task: the worker pool is closed"));
      return new Promise<O>((resolve, reject) => {
        queue.push({ input, transfer, resolve: resolve as (v: unknown) => void, reject });
        const w = idle.pop();
        if (w) release(w);
      });
    },
    close() {
      closed = true;
      for (const w of [...idle, ...busy.keys()]) w.terminate();
      for (const task of [...queue, ...busy.values()]) task.reject(new Error("The worker pool was closed"));
      queue.length = 0;
      idle.length = 0;
      busy.clear();
    },
  };
}

/**
 * The worker side: answer each message with `handle`'s result. `handle` returns the value and
 * the buffers to move back to the caller.
 */
export function serveWorker<I, O>(handle: (input: I) => Promise<[O, Transferable[]]> | [O, Transferable[]]) {
  const scope = self as unknown as {
    onmessage: (e: MessageEvent<I>) => void;
    postMessage(m: Reply, transfer?: Transferable[]): void;
  };
  scope.onmessage = async (e) => {
    try {
      const [value, transfer] = await handle(e.data);
      scope.postMessage({ ok: true, value }, transfer);
    } catch (err) {
      scope.postMessage({ ok: false, message: (err as Error).message });
    }
  };
}
