import type { ScimType } from './filter/attributes.js';

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Sightline's extension: the person's platform role (as ToolJet's SCIM carries its role). */
export const SIGHTLINE_USER = 'urn:ietf:params:scim:schemas:extension:sightline:2.0:User';
/**
 * StackSpot's custom extension (its IAM face's users carry it): kept with the person as the client
 * sent it, shown back, filterable.
 */
export const CUSTOM_USER = 'urn:ietf:params:scim:schemas:extension:custom:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';

/** One attribute definition of RFC 7643 §7, as published by `/Schemas` and obeyed by writes. */
export interface AttributeDef {
  name: string;
  type: ScimType | 'complex';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

type Options = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

function attr(name: string, type: AttributeDef['type'], description: string, o: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...o,
  };
}

/** The sub-attributes every multi-valued contact attribute has (emails, phoneNumbers, …). */
function contact(name: string, description: string, types: string[]): AttributeDef {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      attr('value', 'string', `The ${name} value`),
      attr('display', 'string', 'A human-readable name, for display only'),
      attr('type', 'string', 'A label for the function of the value', { canonicalValues: types }),
      attr('primary', 'boolean', 'Whether this is the primary value'),
    ],
  });
}

const reference = (what: string, types: string[]) =>
  attr('$ref', 'reference', `The URI of the ${what}`, { referenceTypes: types, mutability: 'immutable' });

export const userSchema: SchemaDef = {
  id: CORE_USER,
  name: 'User',
  description: 'A person of the directory',
  attributes: [
    attr('userName', 'string', 'Unique identifier for the user (case-insensitive)', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's name", {
      subAttributes: [
        attr('formatted', 'string', 'The full name'),
        attr('familyName', 'string', 'The family name'),
        attr('givenName', 'string', 'The given name'),
        attr('middleName', 'string', 'The middle name'),
        attr('honorificPrefix', 'string', 'Honorific prefix'),
        attr('honorificSuffix', 'string', 'Honorific suffix'),
      ],
    }),
    attr('displayName', 'string', 'The name displayed to end users'),
    attr('nickName', 'string', 'The casual name'),
    attr('profileUrl', 'reference', "URL of the user's online profile", { referenceTypes: ['external'] }),
    attr('title', 'string', "The user's title"),
    attr('userType', 'string', 'Relationship to the organization (Employee, Contractor, …)'),
    attr('preferredLanguage', 'string', 'Preferred written or spoken language'),
    attr('locale', 'string', 'Default location for localization'),
    attr('timezone', 'string', 'Time zone (IANA name)'),
    attr('active', 'boolean', "The user's administrative status"),
    attr('password', 'string', 'Accepted and discarded: Sightline does not sign people in with it', {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    contact('emails', 'Email addresses', ['work', 'home', 'other']),
    contact('phoneNumbers', 'Phone numbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    attr('addresses', 'complex', 'Physical mailing addresses', {
      multiValued: true,
      subAttributes: [
        attr('formatted', 'string', 'The full address'),
        attr('streetAddress', 'string', 'Street'),
        attr('locality', 'string', 'City'),
        attr('region', 'string', 'State or region'),
        attr('postalCode', 'string', 'Postal code'),
        attr('country', 'string', 'Country (ISO 3166-1 alpha-2)'),
        attr('type', 'string', 'work, home, other', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Whether this is the primary address'),
      ],
    }),
    attr('groups', 'complex', 'Groups the user belongs to (change them through /Groups)', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        attr('value', 'string', 'The group id', { mutability: 'readOnly' }),
        { ...reference('group', ['Group']), mutability: 'readOnly' },
        attr('display', 'string', 'The group display name', { mutability: 'readOnly' }),
        attr('type', 'string', 'direct', { mutability: 'readOnly', canonicalValues: ['direct'] }),
      ],
    }),
  ],
};

export const enterpriseSchema: SchemaDef = {
  id: ENTERPRISE_USER,
  name: 'EnterpriseUser',
  description: 'Enterprise user attributes',
  attributes: [
    attr('employeeNumber', 'string', 'Identifier assigned by the organization'),
    attr('costCenter', 'string', 'Cost center'),
    attr('organization', 'string', 'Organization'),
    attr('division', 'string', 'Division'),
    attr('department', 'string', 'Department'),
    attr('manager', 'complex', "The user's manager", {
      subAttributes: [
        attr('value', 'string', "The manager's id"),
        reference('manager', ['User']),
        attr('displayName', 'string', "The manager's display name", { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const sightlineUserSchema: SchemaDef = {
  id: SIGHTLINE_USER,
  name: 'SightlineUser',
  description: "Sightline's extension: the person's platform role",
  attributes: [
    attr('role', 'string', 'Name of the IAM role the person holds in Sightline (owner, admin, viewer, …)'),
  ],
};

export const customUserSchema: SchemaDef = {
  id: CUSTOM_USER,
  name: 'CustomUser',
  description: "StackSpot's custom user attributes (kept as given; Sightline acts on none of them)",
  attributes: [
    attr('blocked', 'boolean', 'Whether the user is blocked in the source directory'),
    attr('company', 'string', 'Company'),
    attr('ddd', 'string', 'Phone area code'),
    attr('ddi', 'string', 'Phone country code'),
    attr('gender', 'string', 'Gender'),
    attr('generatePassword', 'boolean', 'Accepted and discarded: Sightline does not sign people in', {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    attr('hireDate', 'string', 'Hire date'),
    attr('human', 'boolean', 'Whether the user is a person (not a machine account)'),
    attr('is_email_verified', 'boolean', 'Whether the email address was verified'),
    attr('machineName', 'string', 'Name of the machine account'),
    attr('preferredLoginName', 'string', 'Preferred login name'),
    attr('resourceOwner', 'string', 'Owner of the resource in the source directory'),
  ],
};

export const groupSchema: SchemaDef = {
  id: CORE_GROUP,
  name: 'Group',
  description: 'A group of people',
  attributes: [
    attr('displayName', 'string', 'Name of the group (unique, case-insensitive)', {
      required: true,
      uniqueness: 'server',
    }),
    attr('members', 'complex', 'The members of the group (users)', {
      multiValued: true,
      subAttributes: [
        attr('value', 'string', 'The member id', { mutability: 'immutable' }),
        reference('member', ['User']),
        attr('display', 'string', 'The member display name', { mutability: 'readOnly' }),
        attr('type', 'string', 'User', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
};

export const allSchemas = [userSchema, enterpriseSchema, sightlineUserSchema, customUserSchema, groupSchema];

/** The definition of a top-level attribute of a schema, by case-insensitive name. */
export function findAttribute(schema: SchemaDef, name: string): AttributeDef | undefined {
  const lc = name.toLowerCase();
  return schema.attributes.find((a) => a.name.toLowerCase() === lc);
}

/** A sub-attribute definition by case-insensitive name. */
export function findSubAttribute(def: AttributeDef, name: string): AttributeDef | undefined {
  const lc = name.toLowerCase();
  return def.subAttributes?.find((a) => a.name.toLowerCase() === lc);
}
