import { setFlagsFromString } from 'node:v8';

/** How much V8 lets the old generation grow past what the last full collection kept, in percent. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Bounds the server's heap growth. A page upload allocates about a megabyte that lives for the
 * length of the request; under a steady stream of them V8's default heuristics let the heap grow
 * to several times what stays alive, which on a small self-hosted machine is memory taken from
 * SQLite and the OS page cache (a million-record push peaked at 300+ MB, 270 with this). Full
 * collections come sooner, mostly marked concurrently. Left alone when the operator sets
 * `--heap-growing-percent` (NODE_OPTIONS or a node flag).
 */
export function boundHeapGrowth(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (/--heap[-_]growing[-_]percent/.test(given)) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
