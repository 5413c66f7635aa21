/** The field delimiters a CSV may use, in the order that breaks ties (a comma wins). */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/**
 * The delimiter of a CSV, decided from its header line: the candidate found most often outside
 * quotes (a comma wins ties, so a one-column header is comma-separated). `text` is the file's
 * beginning; while it does not yet hold the whole header line (no line break outside quotes),
 * the answer is undefined unless `isWhole` says there is no more. Leading blank lines and a
 * byte-order mark are skipped, as the parser skips them.
 */
export function headerDelimiter(text: string, isWhole: boolean): Delimiter | undefined {
  const counts = DELIMITERS.map(() => 0);
  let isQuoted = false;
  let hasStarted = false;
  for (const char of text) {
    if (char === '"') {
      // A doubled quote inside a quoted field toggles twice: still inside.
      isQuoted = !isQuoted;
      hasStarted = true;
      continue;
    }
    if (isQuoted) continue;
    if (char === '\n' || char === '\r') {
      if (hasStarted) return mostFound(counts);
      continue;
    }
    if (char === '\uFEFF') continue;
    hasStarted = true;
    const at = DELIMITERS.indexOf(char as Delimiter);
    if (at >= 0) counts[at] = (counts[at] ?? 0) + 1;
  }
  return isWhole ? mostFound(counts) : undefined;
}

function mostFound(counts: number[]): Delimiter {
  let best = 0;
  counts.forEach((count, i) => {
    if (count > (counts[best] ?? 0)) best = i;
  });
  return DELIMITERS[best] ?? ',';
}

/**
 * Header names made unique so that each column can be mapped: a name seen before gets the first
 * free ` (n)` suffix (`email`, `email (2)`). Empty names stay empty (such columns are not offered).
 * Column detection and the import's checker both name columns with this, so a mapping made
 * against the detected names finds the same columns in the file.
 */
export function uniqueColumnNames(header: readonly string[]): string[] {
  const taken = new Set(header);
  const seen = new Set<string>();
  return header.map((name) => {
    if (name === '' || !seen.has(name)) {
      seen.add(name);
      return name;
    }
    let n = 2;
    while (taken.has(`${name} (${n})`)) n++;
    const unique = `${name} (${n})`;
    taken.add(unique);
    return unique;
  });
}
