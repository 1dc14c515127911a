/**
 * The worker threads of the WebAssembly backend (like PyTorch's intra-op
 * thread pool, `torch.set_num_threads`). Each worker instantiates the same
 * kernel module over the shared memory and runs its `workerSpin` for good,
 * sleeping in Atomics.wait between bursts of work:
 * the module's gemm hands parts of large products to the workers itself
 * (wasm/parallel.ts), so the per-step products inside a sequence kernel are
 * split too, with no JavaScript in between.
 *
 * Workers start in the background and join once they have instantiated
 * their module; until then products run on the calling thread, so no call
 * ever waits for a worker to boot (a browser only starts workers when its
 * main thread yields). Lowering the count leaves the extra workers asleep
 * (Atomics.wait costs no CPU) rather than stopping them; they are unref'd,
 * so a Node process still exits when its work is done.
 */
import type { KernelExports, WasmMemory } from './module.js';

/** What starts a worker thread here, or why nothing can. */
type Spawner = { ok: true; spawn(data: WorkerData): void } | { ok: false; reason: string };

/** What a worker needs: the compiled module, the shared memory, the control block, its thread id. */
interface WorkerData {
  module: object;
  memory: WasmMemory;
  ctl: number;
  tid: number;
}

/** Where the per-thread slots start in the control block, in int32s (wasm/parallel.ts: SLOTS = 192 bytes; 64 bytes a slot). */
const SLOTS_INT32 = 48;

// The worker's whole program, in each environment's dialect. If instantiation
// or the loop fails (it should not), the worker marks its slot failed, done
// and not ready, so the caller never spins on it and a part that was not
// computed fails the call instead of returning a wrong result. The slot layout is wasm/parallel.ts's
// (slots from byte 192, 64 bytes each: GO, DONE, READY, ASLEEP, CHUNKS_RUN, FAILED).
const WORKER_BODY = `
function run(d) {
  const slot = new Int32Array(d.memory.buffer, d.ctl + 192 + d.tid * 64, 16);
  try {
    const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
    let seen = ex.workerEnter(d.ctl, d.tid);
    for (;;) {
      seen = ex.workerSpin(d.ctl, d.tid, seen);
      if (seen < 0) break;
      // Idle: sleep until the caller posts the next generation (it notifies when it sees ASLEEP).
      Atomics.store(slot, 3, 1);
      Atomics.wait(slot, 0, seen);
      Atomics.store(slot, 3, 0);
    }
  } catch (e) {
    Atomics.store(slot, 5, 1);
    Atomics.store(slot, 2, 0);
    Atomics.store(slot, 1, Atomics.load(slot, 0));
  }
}`;
const NODE_WORKER = `${WORKER_BODY}\nrun(process.getBuiltinModule('node:worker_threads').workerData);`;
const BROWSER_WORKER = `${WORKER_BODY}\nself.onmessage = (e) => { run(e.data); self.close(); };`;

interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: WorkerData; name?: string }) => { unref(): void; on(event: 'error', f: (e: Error) => void): void };
}
interface BrowserWorkerApi {
  Worker: new (url: string, options?: { name?: string }) => { postMessage(data: WorkerData): void; onerror: unknown };
  URL: { createObjectURL(blob: object): string };
  Blob: new (parts: string[], options: { type: string }) => object;
}

function findSpawner(): Spawner {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node) {
    const threads = proc.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
    if (!threads) return { ok: false, reason: 'node:worker_threads is not available (process.getBuiltinModule needs Node ≥ 20.16)' };
    return {
      ok: true,
      spawn(data) {
        const worker = new threads.Worker(NODE_WORKER, { eval: true, workerData: data, name: `tapegrad-${data.tid}` });
        worker.on('error', () => {});
        worker.unref();
      },
    };
  }
  const g = globalThis as unknown as Partial<BrowserWorkerApi>;
  if (typeof g.Worker !== 'function' || typeof g.Blob !== 'function' || !g.URL?.createObjectURL) return { ok: false, reason: 'this environment cannot start workers' };
  const api = g as BrowserWorkerApi;
  let url: string | null = null;
  return {
    ok: true,
    spawn(data) {
      url ??= api.URL.createObjectURL(new api.Blob([BROWSER_WORKER], { type: 'text/javascript' }));
      const worker = new api.Worker(url, { name: `tapegrad-${data.tid}` });
      worker.postMessage(data);
    },
  };
}

/** The workers of one shared-memory module. */
export class ThreadPool {
  private requested = 1;
  /** Workers are started on the first kernel call after setCount, not before: importing tapegrad starts no thread. */
  private pending = false;
  private readonly started: boolean[] = [];
  private readonly slots: Int32Array;
  private spawner: Spawner | null = null;
  /** Why threads cannot be used (null when they can). */
  unavailable: string | null = null;

  constructor(
    private readonly ex: KernelExports,
    private readonly shared: { module: object; memory: WasmMemory },
    private readonly ctl: number,
  ) {
    this.slots = new Int32Array(shared.memory.buffer as unknown as SharedArrayBuffer, ctl, ex.ctlBytes() / 4);
    ex.setThreads(ctl, 1);
  }

  /** The most threads this module can use. */
  get capacity(): number {
    return this.ex.maxThreads();
  }

  /** Threads products may be split between (the caller and up to n − 1 workers). */
  get count(): number {
    return this.requested;
  }

  /**
   * Uses n threads from the next product on; the missing workers start on
   * the next kernel call (`active`). Returns n, or 1 when workers cannot
   * start here.
   */
  setCount(n: number): number {
    if (n > 1 && this.unavailable === null) {
      this.spawner ??= findSpawner();
      if (!this.spawner.ok) this.unavailable = this.spawner.reason;
    }
    if (this.unavailable !== null) n = 1;
    this.requested = n;
    this.pending = n > 1;
    this.ex.setThreads(this.ctl, n);
    return n;
  }

  /** The thread count for the call about to run, starting requested workers that have not been started yet. */
  active(): number {
    if (this.pending) this.startWorkers();
    return this.requested;
  }

  private startWorkers(): void {
    this.pending = false;
    const spawner = this.spawner;
    if (!spawner?.ok) return;
    for (let tid = 1; tid < this.requested; tid++) {
      if (this.started[tid]) continue;
      this.started[tid] = true;
      try {
        spawner.spawn({ module: this.shared.module, memory: this.shared.memory, ctl: this.ctl, tid });
      } catch (e) {
        // Keep the workers that did start; the rest of the products run on fewer threads.
        this.unavailable = `a worker could not be started: ${(e as Error).message}`;
        this.requested = tid;
        this.ex.setThreads(this.ctl, tid);
        return;
      }
    }
  }

  /** Chunks of split work each thread has run so far (index 0: the calling thread): a statistic for tests. */
  chunksRun(): number[] {
    return Array.from({ length: this.capacity }, (_, tid) => Atomics.load(this.slots, SLOTS_INT32 + tid * 16 + 4));
  }

  /** Workers that have instantiated their module and are waiting for work. */
  readyWorkers(): number {
    let ready = 0;
    for (let tid = 1; tid < this.capacity; tid++) if (Atomics.load(this.slots, SLOTS_INT32 + tid * 16 + 2) !== 0) ready++;
    return ready;
  }
}
