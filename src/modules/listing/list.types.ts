import type { RawBuilder } from 'kysely';

/** How a query parameter filters a field: equality on the value, parsed per kind. */
export type FilterKind = 'text' | 'text_ci' | 'enum' | 'boolean' | 'number' | 'date';

/** The JavaScript type of a sort expression's values (sort expressions are never null). */
export type SortValueType = 'text' | 'number';

/** One field of a list: how it is selected, sorted, filtered and presented. */
export interface ListField {
  /** SQL expression of the stored value. */
  select: RawBuilder<unknown>;
  /** Sortable: the sort expression (never null, so keyset comparisons hold), or true for `select`. */
  sort?: RawBuilder<unknown> | true;
  /** Type of the sort value (default text): a cursor carrying a value of another type is refused. */
  sortType?: SortValueType;
  /** Filterable by a query parameter named like the field. */
  filter?: FilterKind;
  /** Expression the filter compares (defaults to `select`; text_ci compares with a lower-cased value). */
  filterExpr?: RawBuilder<unknown>;
  /** Allowed values of an enum filter. */
  values?: readonly string[];
  /** Stored value → presented value (null/undefined are left out of the item). */
  present?: (value: unknown) => unknown;
}

/** A custom field as the listing needs it: its key, type and single-select options. */
export interface ListCustomField {
  key: string;
  type: 'string' | 'number' | 'date' | 'boolean' | 'single-select';
  options: string[];
}

/** A list over one table (plus joins): the one shape every list of the management face has. */
export interface ListDefinition {
  /** `from … join …` of the query. */
  from: RawBuilder<unknown>;
  /** Column holding the tenant (every list is scoped to the actor's tenant). */
  tenantColumn: string;
  /** Column of the unique id: the stable tie-breaker of every sort. */
  idColumn: string;
  /** Extra conditions every row must meet (e.g. not deleted). */
  where?: RawBuilder<unknown>[];
  /** Predefined fields by their public key; `id` must be one of them. */
  fields: Record<string, ListField>;
  /** JSON column of custom field values, when the entity has custom fields. */
  customColumn?: string;
  /** `field` or `-field` used when the request names no sort. */
  defaultSort: string;
}

/** A validated list request. */
export interface ListRequest {
  size: number;
  sort: { key: string; descending: boolean };
  /** Keys to return (predefined and custom), `id` always first. */
  fields: string[];
  filters: ListFilter[];
  cursor?: { value: unknown; id: string } | undefined;
}

export interface ListFilter {
  key: string;
  kind: FilterKind | 'custom';
  /** Parsed values: one for equality, several for an enum `in`. */
  values: (string | number)[];
}

/** One page: items and the cursor of the next page (null at the end). */
export interface ListPage {
  data: Record<string, unknown>[];
  nextCursor: string | null;
}
