/**
 * The SCIM filter grammar (RFC 7644 §3.4.2.2) as a tree. Produced by `parseFilter`, consumed by the
 * SQL compiler (list filters) and by the in-memory evaluator (PATCH value filters on one resource).
 */

/** A compare operator of RFC 7644 §3.4.2.2 (lower-cased). */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A JSON literal of a comparison: string, number, boolean or null. */
export type CompareValue = string | number | boolean | null;

/**
 * An attribute path as written: optional schema URN, attribute name, optional sub-attribute.
 * Names keep the client's spelling; resolution is case-insensitive.
 */
export interface AttrPath {
  /** `urn:ietf:params:scim:schemas:core:2.0:User` when the path was URN-qualified, else undefined. */
  schema?: string | undefined;
  attribute: string;
  subAttribute?: string | undefined;
}

export type FilterNode =
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: CompareValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and'; left: FilterNode; right: FilterNode }
  | { kind: 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; filter: FilterNode }
  /**
   * `emails[type eq "work" and value co "@x.com"]`: `filter` applies to each element of the
   * multi-valued attribute `path` (whose subAttribute is undefined). Entra's
   * `emails[type eq "work"].value eq "a@x.com"` parses as a valuePath whose filter is the bracket
   * filter AND-ed with the trailing comparison on the sub-attribute (same element).
   */
  | { kind: 'valuePath'; path: AttrPath; filter: FilterNode };
