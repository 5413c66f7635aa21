import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the module at `moduleUrl` (its `import.meta.url`). Under tsx
 * (development, tests) the module is TypeScript: the worker registers tsx's loader before loading it.
 */
export function startModuleWorker(
  moduleUrl: string,
  workerData: unknown,
  resourceLimits?: ResourceLimits,
): Worker {
  return moduleUrl.endsWith('.ts')
    ? new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`,
        { eval: true, workerData, resourceLimits },
      )
    : new Worker(new URL(moduleUrl), { workerData, resourceLimits });
}
