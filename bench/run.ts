/**
 * `npm run bench [-- <name> ...]`: runs benchmarks (not tests) and prints medians.
 * Each benchmark is a module in this folder exporting `run(args)`.
 */
const available: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  ingest: () => import('./ingest.js'),
  scim: () => import('./scim.js'),
  manage: () => import('./manage.js'),
};

const [name, ...args] = process.argv.slice(2);
const selected = name ? [name] : Object.keys(available);
for (const bench of selected) {
  const load = available[bench];
  if (!load) {
    process.stderr.write(`Unknown benchmark '${bench}'. Available: ${Object.keys(available).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== bench: ${bench} ==\n`);
  await (await load()).run(args);
}
