import type { Expression, SqlBool } from 'kysely';
import type { CompareOp, CompareValue } from './ast.js';

/** SCIM attribute types (RFC 7643 §2.3) that filters compare. */
export type ScimType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary';

/**
 * A single-valued attribute stored in a SQL column (or computed by an SQL expression).
 * `column` is the expression compared; `lowerColumn`, when set, is an indexed lower-cased copy used
 * for case-insensitive comparisons (so `userName eq "X"` hits the unique index on user_name_lc).
 */
export interface ScalarAttribute {
  kind: 'scalar';
  type: ScimType;
  caseExact: boolean;
  column: Expression<unknown>;
  lowerColumn?: Expression<unknown> | undefined;
  /**
   * Overrides the generic comparison, for attributes not stored as themselves: `active` is
   * `status = 'active'`. Returns undefined to say "this operator is not supported" (→ invalidFilter).
   */
  compare?: ((op: CompareOp, value: CompareValue) => Expression<SqlBool> | undefined) | undefined;
  /** Expression for `pr` (defaults to `column IS NOT NULL`, and `<> ''` for strings). */
  present?: Expression<SqlBool> | undefined;
}

/**
 * A multi-valued (or complex) attribute stored in rows of another table. `exists(inner)` wraps a
 * predicate over `subAttributes` into `EXISTS (SELECT 1 FROM … WHERE <join> AND inner)`;
 * `exists(undefined)` is "has at least one element" (for `pr`). `defaultSubAttribute` is used when
 * the filter names the attribute without a sub-attribute (`emails co "x"` means `emails.value`).
 */
export interface MultiAttribute {
  kind: 'multi';
  subAttributes: Record<string, ScalarAttribute>;
  defaultSubAttribute: string;
  exists: (inner: Expression<SqlBool> | undefined) => Expression<SqlBool>;
}

/** A complex single-valued attribute (`name`, `meta`, `manager`) whose sub-attributes are columns. */
export interface ComplexAttribute {
  kind: 'complex';
  subAttributes: Record<string, ScalarAttribute>;
}

export type Attribute = ScalarAttribute | MultiAttribute | ComplexAttribute;

/**
 * What a resource type's filters may name: attributes per schema URN, keyed by lower-cased name.
 * `core` is the resource's core schema URN; unqualified names are looked up in the core schema
 * first, then in each extension. Unknown names are `invalidFilter`.
 */
export interface AttributeMap {
  core: string;
  schemas: Record<string, Record<string, Attribute>>;
}
