import { AppError } from '../../platform/errors/app-error.js';

/** The weak ETag of a resource version (`W/"3"`), as `meta.version` and the `ETag` header carry it. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

function tags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//i, ''))
    .filter(Boolean);
}

/** True when an If-None-Match / If-Match header names this version (or `*`). */
export function etagMatches(header: string, version: number): boolean {
  return tags(header).some((t) => t === '*' || t === `"${version}"`);
}

/** Throws 412 when an If-Match header is given and does not name the current version. */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined || ifMatch.trim() === '') return;
  if (!etagMatches(ifMatch, version)) {
    throw new AppError(
      'precondition_failed',
      `If-Match ${ifMatch} does not match the current version ${etagOf(version)}`,
    );
  }
}
