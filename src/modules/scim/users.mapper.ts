import { parseJson } from '../../platform/db/json.js';
import type { Resource } from './normalize.js';
import { CORE_USER, CUSTOM_USER, ENTERPRISE_USER, SIGHTLINE_USER } from './schemas.js';
import { scimError } from './scim-error.js';

/** The people columns SCIM reads. */
export interface PersonRow {
  id: string;
  external_id: string | null;
  user_name: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  title: string | null;
  status: string;
  department: string | null;
  employee_number: string | null;
  cost_center: string | null;
  organization: string | null;
  division: string | null;
  manager_id: string | null;
  attributes: unknown;
  version: number;
  created_at: string;
  updated_at: string;
}

/** One element of a multi-valued contact attribute (person_values). */
export interface ContactValue {
  attr: 'emails' | 'phoneNumbers';
  type: string | null;
  value: string;
  display: string | null;
  primary: boolean;
}

/** What a SCIM write sets on a person, derived from a canonical resource. */
export interface UserWrite {
  userName: string;
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  title: string | null;
  active: boolean;
  department: string | null;
  employeeNumber: string | null;
  costCenter: string | null;
  organization: string | null;
  division: string | null;
  managerId: string | null;
  contacts: ContactValue[];
  /** SCIM attributes with no column of their own (kept under people.attributes.scim). */
  extra: Record<string, unknown>;
  /** The Sightline extension role name: undefined leaves it unchanged, null removes it. */
  role: string | null | undefined;
}

const EXTRA_KEYS = [
  'nickName',
  'profileUrl',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'addresses',
];
const EXTRA_NAME_KEYS = ['formatted', 'middleName', 'honorificPrefix', 'honorificSuffix'];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** Reads a canonical user resource (see normalizeResource) into the person write it asks for. */
export function userWriteFrom(resource: Resource): UserWrite {
  const userName = str(resource.userName)?.trim();
  if (!userName) throw scimError('invalidValue', 'userName: required, a non-empty string');
  if (userName.length > 256) throw scimError('invalidValue', 'userName: at most 256 characters');
  const name = obj(resource.name);
  const enterprise = obj(resource[ENTERPRISE_USER]);
  const sightline = resource[SIGHTLINE_USER];
  const contacts = [
    ...contactsOf(resource.emails, 'emails'),
    ...contactsOf(resource.phoneNumbers, 'phoneNumbers'),
  ];
  const extra: Obj = {};
  for (const key of EXTRA_KEYS) if (resource[key] !== undefined) extra[key] = resource[key];
  const nameExtra: Obj = {};
  for (const key of EXTRA_NAME_KEYS) if (name[key] !== undefined) nameExtra[key] = name[key];
  if (Object.keys(nameExtra).length > 0) extra.name = nameExtra;
  // Kept whole under its URN (normalizeResource already dropped what the schema does not define);
  // generatePassword is an instruction, not an attribute: not kept.
  const { generatePassword: _instruction, ...custom } = obj(resource[CUSTOM_USER]);
  if (Object.keys(custom).length > 0) extra[CUSTOM_USER] = custom;
  return {
    userName,
    externalId: str(resource.externalId),
    firstName: str(name.givenName),
    lastName: str(name.familyName),
    displayName: str(resource.displayName),
    title: str(resource.title),
    active: resource.active !== false,
    department: str(enterprise.department),
    employeeNumber: str(enterprise.employeeNumber),
    costCenter: str(enterprise.costCenter),
    organization: str(enterprise.organization),
    division: str(enterprise.division),
    managerId: str(obj(enterprise.manager).value),
    contacts,
    extra,
    role: sightline === undefined ? undefined : str(obj(sightline).role),
  };
}

function contactsOf(value: unknown, attr: ContactValue['attr']): ContactValue[] {
  if (!Array.isArray(value)) return [];
  const out: ContactValue[] = [];
  value.forEach((item, i) => {
    const element = obj(item);
    const v = str(element.value)?.trim();
    if (!v) throw scimError('invalidValue', `${attr}[${i}].value: required, a non-empty string`);
    if (attr === 'emails' && !/^[^\s@]+@[^\s@]+$/.test(v))
      throw scimError('invalidValue', `emails[${i}].value: '${v}' is not an email address`);
    out.push({
      attr,
      type: str(element.type),
      value: v,
      display: str(element.display),
      primary: element.primary === true,
    });
  });
  if (out.filter((c) => c.attr === attr && c.primary).length > 1)
    throw scimError('invalidValue', `${attr}: at most one element may be primary`);
  return out;
}

/** The email that represents the person elsewhere: the primary one, else the first. */
export function primaryEmail(contacts: ContactValue[]): string | null {
  const emails = contacts.filter((c) => c.attr === 'emails');
  return (emails.find((c) => c.primary) ?? emails[0])?.value ?? null;
}

/** What the list and get answers need besides the person row. */
export interface UserRelations {
  contacts: ContactValue[];
  groups: { id: string; displayName: string }[];
  role: string | null;
  manager: { id: string; displayName: string | null } | null;
}

/** The SCIM representation of a person (RFC 7643 §4.1 with the enterprise and Sightline extensions). */
export function userToScim(row: PersonRow, rel: UserRelations, baseUrl: string): Resource {
  const scim = obj(obj(parseJson<unknown>(row.attributes, {})).scim);
  const name: Obj = { ...obj(scim.name) };
  if (row.first_name) name.givenName = row.first_name;
  if (row.last_name) name.familyName = row.last_name;
  const enterprise: Obj = {};
  if (row.employee_number) enterprise.employeeNumber = row.employee_number;
  if (row.cost_center) enterprise.costCenter = row.cost_center;
  if (row.organization) enterprise.organization = row.organization;
  if (row.division) enterprise.division = row.division;
  if (row.department) enterprise.department = row.department;
  if (rel.manager) {
    enterprise.manager = {
      value: rel.manager.id,
      $ref: `${baseUrl}/Users/${rel.manager.id}`,
      ...(rel.manager.displayName ? { displayName: rel.manager.displayName } : {}),
    };
  }
  const custom = obj(scim[CUSTOM_USER]);
  const hasCustom = Object.keys(custom).length > 0;
  const schemas = hasCustom
    ? [CORE_USER, ENTERPRISE_USER, SIGHTLINE_USER, CUSTOM_USER]
    : [CORE_USER, ENTERPRISE_USER, SIGHTLINE_USER];
  const out: Resource = { schemas, id: row.id };
  if (row.external_id) out.externalId = row.external_id;
  out.userName = row.user_name;
  if (Object.keys(name).length > 0) out.name = name;
  if (row.display_name) out.displayName = row.display_name;
  for (const key of EXTRA_KEYS) if (scim[key] !== undefined && key !== 'addresses') out[key] = scim[key];
  if (row.title) out.title = row.title;
  out.active = row.status === 'active';
  const emails = rel.contacts.filter((c) => c.attr === 'emails').map(contactJson);
  if (emails.length > 0) out.emails = emails;
  const phones = rel.contacts.filter((c) => c.attr === 'phoneNumbers').map(contactJson);
  if (phones.length > 0) out.phoneNumbers = phones;
  if (Array.isArray(scim.addresses)) out.addresses = scim.addresses;
  if (rel.groups.length > 0) {
    out.groups = rel.groups.map((g) => ({
      value: g.id,
      $ref: `${baseUrl}/Groups/${g.id}`,
      display: g.displayName,
      type: 'direct',
    }));
  }
  out[ENTERPRISE_USER] = enterprise;
  out[SIGHTLINE_USER] = rel.role ? { role: rel.role } : {};
  if (hasCustom) out[CUSTOM_USER] = custom;
  out.meta = {
    resourceType: 'User',
    created: row.created_at,
    lastModified: row.updated_at,
    location: `${baseUrl}/Users/${row.id}`,
    version: `W/"${row.version}"`,
  };
  return out;
}

function contactJson(c: ContactValue): Obj {
  return {
    value: c.value,
    ...(c.type ? { type: c.type } : {}),
    ...(c.display ? { display: c.display } : {}),
    primary: c.primary,
  };
}
