// AssemblyScript: splitting work between threads, when the module was built
// with shared memory and the host started workers.
//
// Every thread is an instance of this same module over one shared memory.
// The host (src/backend/wasm/threads.ts) reserves a control block and calls
// setThreads(ctl, n) on the main instance; each worker instance runs
// workerSpin(ctl, tid, seen) in a loop, sleeping in between (its host script
// does the sleeping, with Atomics.wait). Two kinds of work are split:
// - a product large enough to pay for the hand-off, cut into n blocks of C
//   along N (or along M when M is the larger side);
// - a recurrent sequence kernel, cut into n ranges of batch rows: the rows of
//   an LSTM never meet inside a layer (h_t·W_hhᵀ row b needs only h_t row b),
//   so each thread runs the whole sequence for its rows with no barrier per
//   step, gate math included (lstm.ts).
// The caller writes the task, cuts it into a few chunks per thread, signals
// each ready worker through its own slot and claims chunks itself, as the
// workers do, until all are finished: a worker that wakes late (sleeping
// workers take ~50 µs or more to wake) leaves its chunks to the others
// instead of making them wait. A claim is a compare-and-swap on a counter
// that carries the task's generation, so a late worker never takes a chunk
// of a later task.
//
// Waiting: a worker spins on its slot for a while (a hand-off costs ~0.2 µs
// that way, against ~50 µs for a sleep/wake through wait/notify —
// shared/notes/wasm-simd-measurements.md) and then sleeps (Atomics.wait in
// its host script), so an idle worker costs no CPU. It says so in its slot
// before sleeping; the caller only pays for a notify when it does. The
// caller itself never sleeps: it claims chunks and then spins for the last
// ones, and a browser's main thread may not block.
//
// A split never changes a result: every element of a product, and every row
// of a sequence, is computed by the same code in the same order whichever
// part it lands in, so 1 and N threads give identical bits.
import { gemmBlock, packBytes } from './gemm';
import { gruBackwardRows, gruForwardRows, lstmBackwardRows, lstmForwardRows, rnnBackwardRows, rnnForwardRows } from './lstm';
import { addRange, scaleRange, sumSquaresBlocks, TASK_ADD, TASK_SCALE, TASK_SUM_SQUARES } from './vector';

/**
 * Control block layout (bytes from ctl): the task (kind, chunk count, up to
 * 30 arguments); on their own cache line the chunk counter (the task's
 * generation, 24 bits, above the next chunk, 8 bits: at most 32 chunks) and
 * the count of finished chunks; then one 64-byte slot per thread.
 */
const KIND = 0;
const PARTS = 4;
const ARGS = 8;
const NEXT = 128;
const FINISHED = 136;
const SLOTS = 192;
const SLOT = 64;
/** Chunks per participating thread: more than one, so a thread that starts late (a worker woken from sleep) leaves its share to the others instead of making them wait. */
const CHUNKS_PER_THREAD = 2;
/** Slot fields: the generation to join (−1: exit), the last generation it left, ready, asleep, chunks run (a statistic), failed (set by the host's worker script when its instance trapped). */
const GO = 0;
const DONE = 4;
const READY = 8;
const ASLEEP = 12;
const CHUNKS_RUN = 16;
const FAILED = 20;
/** The most threads a control block has slots for (the host allocates ctlBytes()). */
const MAX_THREADS = 16;
/** Polls of its slot before a worker sleeps, ~1 ms: longer than the gaps between the kernel calls of a training step (a sleeping worker takes 50 µs or more to wake). Intel OpenMP spins 200 ms by default; a millisecond keeps an idle process near 0% CPU. */
const SPINS = 2000000;
/** Multiply-adds below which work stays on the calling thread (the hand-off and the duplicated packing would cost more). */
const MIN_WORK: i64 = 128 * 1024;

/** Task kinds (7–9, the kernels over resident data, are in vector.ts). */
export const TASK_GEMM = 0;
export const TASK_LSTM_FORWARD = 1;
export const TASK_LSTM_BACKWARD = 2;
export const TASK_GRU_FORWARD = 3;
export const TASK_GRU_BACKWARD = 4;
export const TASK_RNN_FORWARD = 5;
export const TASK_RNN_BACKWARD = 6;

let ctl: usize = 0;
let threads: i32 = 1;
let generation: i32 = 0;
/** Tasks split so far (for tests: a split that never happens would make a determinism test vacuous). */
let splits: i32 = 0;

/** How many tasks this instance has split between threads. */
export function splitCount(): i32 {
  return splits;
}

/** Bytes the host must reserve for the control block. */
export function ctlBytes(): i32 {
  // SLOTS (192) past the task and counters, then a slot per thread.
  return SLOTS + SLOT * MAX_THREADS;
}

/** The most threads this build can use (1 without shared memory). */
export function maxThreads(): i32 {
  return ASC_FEATURE_THREADS ? MAX_THREADS : 1;
}

/** Main instance: use up to n threads (itself and workers 1..n−1) with the control block at `block`. */
export function setThreads(block: usize, n: i32): void {
  ctl = block;
  threads = ASC_FEATURE_THREADS ? max(1, min(n, MAX_THREADS)) : 1;
}

@inline function slot(tid: i32): usize {
  return ctl + SLOTS + <usize>tid * SLOT;
}

/** Argument i of the task in the control block at `block`. */
@inline function arg(block: usize, i: i32): i32 {
  return load<i32>(block + ARGS + <usize>i * 4);
}

/** The range [from, to) of part `part` of `parts` over `size` items cut at multiples of `unit` (the last part takes the rest). */
@inline function rangeFrom(size: i32, unit: i32, part: i32, parts: i32): i32 {
  const units = (size + unit - 1) / unit;
  return min(size, ((units * part) / parts) * unit);
}
@inline function rangeTo(size: i32, unit: i32, part: i32, parts: i32): i32 {
  return part == parts - 1 ? size : rangeFrom(size, unit, part + 1, parts);
}

/** Chunk `part` of `parts` of the task in the control block at `block`, on the scratch of thread `tid`. */
function runPart(block: usize, part: i32, parts: i32, tid: i32): void {
  const kind = load<i32>(block + KIND);
  const unit = arg(block, 0);
  const size = arg(block, 1);
  const pack = <usize>arg(block, 2) + <usize>tid * <usize>packBytes();
  const from = rangeFrom(size, unit, part, parts);
  const to = rangeTo(size, unit, part, parts);
  if (kind == TASK_GEMM) {
    const transA = arg(block, 3) != 0, transB = arg(block, 4) != 0;
    const M = arg(block, 5), N = arg(block, 6), K = arg(block, 7);
    const a = <usize>arg(block, 8), b = <usize>arg(block, 9), c = <usize>arg(block, 10);
    const accumulate = arg(block, 11) != 0, alongN = arg(block, 12) != 0;
    if (alongN) gemmBlock(transA, transB, M, N, K, a, b, c, accumulate, pack, 0, M, from, to);
    else gemmBlock(transA, transB, M, N, K, a, b, c, accumulate, pack, from, to, 0, N);
  } else if (kind == TASK_LSTM_FORWARD) {
    lstmForwardRows(arg(block, 3), arg(block, 4), arg(block, 5), <usize>arg(block, 6), <usize>arg(block, 7), <usize>arg(block, 8), <usize>arg(block, 9), <usize>arg(block, 10), <usize>arg(block, 11), <usize>arg(block, 12), arg(block, 13) != 0, arg(block, 14) != 0, pack, from, to);
  } else if (kind == TASK_LSTM_BACKWARD) {
    lstmBackwardRows(arg(block, 3), arg(block, 4), arg(block, 5), <usize>arg(block, 6), <usize>arg(block, 7), <usize>arg(block, 8), <usize>arg(block, 9), <usize>arg(block, 10), <usize>arg(block, 11), <usize>arg(block, 12), <usize>arg(block, 13), <usize>arg(block, 14), <usize>arg(block, 15), <usize>arg(block, 16), arg(block, 17) != 0, arg(block, 18) != 0, pack, from, to);
  } else if (kind == TASK_GRU_FORWARD) {
    gruForwardRows(arg(block, 3), arg(block, 4), arg(block, 5), <usize>arg(block, 6), <usize>arg(block, 7), <usize>arg(block, 8), <usize>arg(block, 9), <usize>arg(block, 10), <usize>arg(block, 11), <usize>arg(block, 12), arg(block, 13) != 0, arg(block, 14) != 0, pack, from, to);
  } else if (kind == TASK_GRU_BACKWARD) {
    gruBackwardRows(arg(block, 3), arg(block, 4), arg(block, 5), <usize>arg(block, 6), <usize>arg(block, 7), <usize>arg(block, 8), <usize>arg(block, 9), <usize>arg(block, 10), <usize>arg(block, 11), <usize>arg(block, 12), <usize>arg(block, 13), <usize>arg(block, 14), arg(block, 15) != 0, arg(block, 16) != 0, pack, from, to);
  } else if (kind == TASK_RNN_FORWARD) {
    rnnForwardRows(arg(block, 3), arg(block, 4), arg(block, 5), <usize>arg(block, 6), <usize>arg(block, 7), <usize>arg(block, 8), <usize>arg(block, 9), arg(block, 10) != 0, arg(block, 11) != 0, arg(block, 12) != 0, pack, from, to);
  } else if (kind == TASK_RNN_BACKWARD) {
    rnnBackwardRows(arg(block, 3), arg(block, 4), arg(block, 5), <usize>arg(block, 6), <usize>arg(block, 7), <usize>arg(block, 8), <usize>arg(block, 9), <usize>arg(block, 10), <usize>arg(block, 11), arg(block, 12) != 0, arg(block, 13) != 0, arg(block, 14) != 0, pack, from, to);
  } else if (kind == TASK_SUM_SQUARES) {
    sumSquaresBlocks(<usize>arg(block, 3), arg(block, 4), <usize>arg(block, 5), from, to);
  } else if (kind == TASK_SCALE) {
    scaleRange(<usize>arg(block, 3), reinterpret<f32>(arg(block, 4)), from, to);
  } else if (kind == TASK_ADD) {
    addRange(<usize>arg(block, 3), <usize>arg(block, 4), from, to);
  }
}

/** Arguments staged so far for the next task (main thread only; written straight into the control block, which no worker reads until signalled). */
let stagedCount = 0;

/** Starts a new task description: its split unit, the size being split, and the scratch base (packBytes() per part). */
export function task(unit: i32, size: i32, pack: usize): void {
  stagedCount = 0;
  push(unit);
  push(size);
  push(<i32>pack);
}

/** Appends one argument to the task being built. */
export function push(v: i32): void {
  store<i32>(ctl + ARGS + <usize>stagedCount * 4, v);
  stagedCount++;
}

/**
 * How many parts a task of `work` multiply-adds over `size` items (cut at
 * multiples of `unit`) should be split into now: 1 when threads are off, the
 * work is small, or no worker is ready.
 */
export function partsFor(work: i64, size: i32, unit: i32): i32 {
  if (!ASC_FEATURE_THREADS || threads < 2 || work < MIN_WORK) return 1;
  let parts = 1;
  for (let t = 1; t < threads; t++) if (atomic.load<i32>(slot(t) + READY) != 0) parts++;
  return min(parts, (size + unit - 1) / unit);
}

/**
 * Claims chunks of the current task (generation g) one at a time and runs
 * them on thread `tid`'s scratch, until none is left or the task is over.
 * A claim is a compare-and-swap on the counter that also holds the
 * generation (mod 2²⁴), so a thread that wakes late can never take a chunk
 * of a later task by mistake; it reads the task only after a successful
 * claim.
 */
function claimChunks(block: usize, g: i32, tid: i32): void {
  if (ASC_FEATURE_THREADS) {
    while (true) {
      const cur = atomic.load<i32>(block + NEXT);
      if ((cur >>> 8) != (g & 0xffffff)) return;
      const chunk = cur & 0xff;
      const chunks = atomic.load<i32>(block + PARTS);
      if (chunk >= chunks) return;
      if (atomic.cmpxchg<i32>(block + NEXT, cur, cur + 1) != cur) continue;
      runPart(block, chunk, chunks, tid);
      atomic.add<i32>(block + SLOTS + <usize>tid * SLOT + CHUNKS_RUN, 1);
      atomic.add<i32>(block + FINISHED, 1);
    }
  }
}

/** Batch rows per split unit of a recurrent kernel: blocks of 4 (the micro-kernel's rows) once there are enough rows. */
@inline function rowUnit(B: i32): i32 {
  return B >= 8 ? 4 : 1;
}

/** partsFor a recurrent sequence kernel: T steps of a [B, H]·[H, G] product, split by batch rows. */
export function rowParts(T: i32, B: i32, G: i32, H: i32): i32 {
  return partsFor(<i64>T * <i64>B * <i64>G * <i64>H, B, rowUnit(B));
}

/** Starts staging a recurrent kernel's task split by batch rows; its first arguments are T, B, H (the Rows functions' order). */
export function rowTask(T: i32, B: i32, H: i32, pack: usize): void {
  task(rowUnit(B), B, pack);
  push(T);
  push(B);
  push(H);
}

/**
 * Runs the staged task of `kind` on `parts` ≥ 2 threads (partsFor's answer):
 * it is cut into up to CHUNKS_PER_THREAD·parts chunks, which this thread and
 * the ready workers claim until all are done. Returns when every chunk is
 * finished. (With one part the caller runs the work itself, without a task.)
 */
export function split(kind: i32, parts: i32): void {
  if (ASC_FEATURE_THREADS) {
    const units = (arg(ctl, 1) + arg(ctl, 0) - 1) / arg(ctl, 0);
    const chunks = min(units, parts * CHUNKS_PER_THREAD);
    store<i32>(ctl + KIND, kind);
    store<i32>(ctl + PARTS, chunks);
    atomic.store<i32>(ctl + FINISHED, 0);
    splits++;
    generation = generation == 0x7fffffff ? 1 : generation + 1;
    const g = generation;
    // Publishes the task: a claim reads the counter's generation first.
    atomic.store<i32>(ctl + NEXT, (g & 0xffffff) << 8);
    let signalled = 1;
    for (let t = 1; t < threads && signalled < parts; t++) {
      const s = slot(t);
      if (atomic.load<i32>(s + READY) == 0) continue;
      signalled++;
      atomic.store<i32>(s + GO, g);
      // A worker announces sleep before it waits on GO: either it sees g there, or we see it asleep and wake it.
      if (atomic.load<i32>(s + ASLEEP) != 0) atomic.notify(s + GO, 1);
    }
    claimChunks(ctl, g, 0);
    let spins = 0;
    while (atomic.load<i32>(ctl + FINISHED) < chunks) {
      // A worker whose instance trapped never finishes its chunk: fail the call rather than spin forever.
      if ((++spins & 0xfff) == 0) for (let t = 1; t < threads; t++) if (atomic.load<i32>(slot(t) + FAILED) != 0) unreachable();
    }
  }
}

/**
 * C (+)= op(A)·op(B) (see gemmBlock); `pack` points at packBytes() of scratch
 * per thread. Split between the ready workers when the product is large
 * enough, computed here otherwise.
 */
export function gemm(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, pack: usize): void {
  const alongN = N >= M;
  const size = alongN ? N : M;
  const unit = alongN ? 8 : 4;
  const parts = max(M, N) >= 16 ? partsFor(<i64>M * <i64>N * <i64>K, size, unit) : 1;
  if (parts < 2) {
    gemmBlock(transA, transB, M, N, K, a, b, c, accumulate, pack, 0, M, 0, N);
    return;
  }
  task(unit, size, pack);
  push(transA ? 1 : 0);
  push(transB ? 1 : 0);
  push(M);
  push(N);
  push(K);
  push(<i32>a);
  push(<i32>b);
  push(<i32>c);
  push(accumulate ? 1 : 0);
  push(alongN ? 1 : 0);
  split(TASK_GEMM, parts);
}

/** Worker: joins (READY) and returns the slot's current generation, the one to wait past. */
export function workerEnter(block: usize, tid: i32): i32 {
  if (ASC_FEATURE_THREADS) {
    const s = block + SLOTS + <usize>tid * SLOT;
    const seen = atomic.load<i32>(s + GO);
    atomic.store<i32>(s + READY, 1);
    return seen;
  }
  return 0;
}

/**
 * Worker: spins on its slot, running each task it is signalled for, until
 * no task has come for SPINS polls; returns the last generation seen, which
 * the host's worker script then sleeps past (Atomics.wait on GO, with ASLEEP
 * set around it), or −1 when told to exit. The sleep is the host's: a wait
 * inside this module stopped waking up once the module grew (seen in Node
 * 20's V8), and Atomics.wait in a worker is the well-trodden path.
 */
export function workerSpin(block: usize, tid: i32, seen: i32): i32 {
  if (ASC_FEATURE_THREADS) {
    const s = block + SLOTS + <usize>tid * SLOT;
    while (true) {
      let g = atomic.load<i32>(s + GO);
      let spins = 0;
      while (g == seen) {
        if (++spins >= SPINS) return seen;
        g = atomic.load<i32>(s + GO);
      }
      if (g < 0) {
        atomic.store<i32>(s + READY, 0);
        return -1;
      }
      seen = g;
      claimChunks(block, g, tid);
      atomic.store<i32>(s + DONE, g);
    }
  }
  return -1;
}
