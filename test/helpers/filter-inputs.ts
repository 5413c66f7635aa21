import { mulberry32 } from '../../src/modules/demo/random.js';

const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co', 'xx'];
const VALUES = [
  '"x"',
  '""',
  '"%"',
  '"_"',
  '"\\\\"',
  '"\\""',
  '"\\u00e9"',
  '"\\u0000"',
  '"\\ud800"',
  '"Alice"',
  '"2026-01-01T00:00:00Z"',
  '"2026-02-30T25:61:00Z"',
  '"yesterday"',
  '"true"',
  '0',
  '-1.5',
  '10',
  '1e999',
  '99999999999999999999999',
  'true',
  'False',
  'null',
  '"a\' or 1=1 --"',
];
const SUB_FILTERS = ['type eq "work"', 'value co "@x"', 'primary eq true', 'not (type pr)', 'nope eq 1'];
const NOISE = [
  ' ',
  '(',
  ')',
  '[',
  ']',
  '"',
  '.',
  ':',
  '\\',
  '%',
  '_',
  'and',
  'or',
  'not',
  'pr',
  'eq',
  'a',
  '1',
  '-',
];

/**
 * SCIM filter texts for fuzzing: generated over the given attribute paths (valid and invalid),
 * mutated, pure noise, and hostile shapes (deep nesting, long chains, long literals). The same
 * seed gives the same inputs.
 */
export function filterInputs(options: { seed: number; count: number; paths: readonly string[] }): string[] {
  const random = mulberry32(options.seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] ?? (items[0] as T);
  const path = () => pick(options.paths);

  function generate(depth: number): string {
    const roll = depth > 3 ? int(4) : int(9);
    if (roll === 0) return `${path()} pr`;
    if (roll <= 3) return `${path()} ${pick(OPS)} ${pick(VALUES)}`;
    if (roll === 4)
      return `${generate(depth + 1)} ${pick(['and', 'or', 'AND', 'Or'])} ${generate(depth + 1)}`;
    if (roll === 5) return `not (${generate(depth + 1)})`;
    if (roll === 6) return `(${generate(depth + 1)})`;
    if (roll === 7) return `emails[${pick(SUB_FILTERS)} ${pick(['and', 'or'])} ${pick(SUB_FILTERS)}]`;
    return `emails[${pick(SUB_FILTERS)}].${pick(['value', 'type', 'Value', 'nope'])} ${pick(OPS)} ${pick(VALUES)}`;
  }

  function mutate(text: string): string {
    let out = text;
    for (let n = 1 + int(3); n > 0; n--) {
      const at = int(out.length + 1);
      const roll = int(5);
      if (roll === 0) out = out.slice(0, at) + out.slice(at + 1 + int(3));
      else if (roll === 1) out = out.slice(0, at) + pick(NOISE) + out.slice(at);
      else if (roll === 2) out = out.slice(0, at);
      else if (roll === 3) out = out.slice(0, at) + out.slice(int(out.length)) + out.slice(at);
      else out = out.slice(0, at) + String.fromCharCode(int(0x3000)) + out.slice(at);
    }
    return out;
  }

  const out: string[] = [];
  while (out.length < options.count) {
    const roll = int(10);
    if (roll < 4) out.push(generate(0));
    else if (roll < 8) out.push(mutate(generate(0)));
    else out.push(Array.from({ length: int(30) }, () => pick(NOISE)).join(int(2) ? ' ' : ''));
  }
  const nested = (n: number, open: string, close: string) =>
    `${open.repeat(n)}${path()} pr${close.repeat(n)}`;
  out.push(nested(49, '(', ')'), nested(51, '(', ')'), nested(2000, '(', ')'), nested(60, 'not (', ')'));
  out.push(Array.from({ length: 250 }, (_, i) => `${path()} eq ${i}`).join(' or '));
  out.push(
    Array.from({ length: 250 }, (_, i) => `not (${path()} co "${i}")`)
      .join(' and ')
      .slice(0, 4096),
  );
  out.push(
    `${path()} eq "${'x'.repeat(4000)}"`,
    `${path()} eq "${'x'.repeat(5000)}"`,
    '['.repeat(3000),
    '"'.repeat(4097),
  );
  return out;
}
