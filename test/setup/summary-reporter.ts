import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type?: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

/** Prints one plain closing line, `Tests: N passed, N failed, N skipped`, that any CI can read. */
export default class SummaryReporter implements Reporter {
  onFinished(files: TaskLike[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: TaskLike) => {
      if (task.type === 'test') {
        if (task.mode === 'skip' || task.mode === 'todo' || task.result?.state === 'skip') counts.skipped++;
        else if (task.result?.state === 'pass') counts.passed++;
        else counts.failed++;
      }
      for (const child of task.tasks ?? []) visit(child);
    };
    for (const file of files) {
      if (file.result?.state === 'fail' && (file.tasks ?? []).length === 0) counts.failed++;
      visit(file);
    }
    counts.failed += errors.length;
    process.stdout.write(
      `\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
