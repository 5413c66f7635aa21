/** The people side of the demo organization: names, departments and titles, kept as plain data. */

/** Splits a block of whitespace-separated words: long name lists stay readable and compact. */
function words(text: string): readonly string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

export const firstNames: readonly string[] = words(`
  Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella James Mia William Amelia Benjamin Harper
  Lucas Evelyn Henry Abigail Alexander Emily Daniel Ella Matthew Scarlett Jackson Grace Sebastian
  Chloe Jack Victoria Aiden Riley Owen Aria Samuel Lily Joseph Zoe John Nora David Hannah Wyatt
  Layla Carter Lillian Julian Addison Luke Priya Arjun Wei Mei Hiroshi Yuki Mateo Lucia Omar
  Fatima Kwame Amara Sven Ingrid Pierre Camille Luca Giulia Diego Valentina Ethan Maya Leo Clara
  Felix Elena Hugo Alice Nikolai Anya Samir Leila Tomás Rosa Kenji Sakura Rahul Ananya Jonas Freya
  Marcus Naomi Isaac Ruth Caleb Sarah Nathan Julia Adrian Eva
`);

export const lastNames: readonly string[] = words(`
  Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
  Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
  Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
  Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Shah Chen
  Wang Kim Park Tanaka Sato Müller Schmidt Schneider Fischer Dubois Laurent Rossi Bianchi Silva
  Santos Kowalski Nowak Johansson Larsen Andersen Okafor Mensah Haddad Khan Ali Ivanova Petrov
  O'Brien Murphy Kelly Walsh Byrne Cohen Levy Novak Horvat Costa
`);

export interface Department {
  name: string;
  /** Relative head count: engineering and sales outnumber legal. */
  weight: number;
  /** Title of the department head, of its managers, and of everyone else. */
  headTitle: string;
  managerTitle: string;
  titles: readonly string[];
  costCenter: string;
}

export const departments: readonly Department[] = [
  {
    name: 'Engineering',
    weight: 30,
    headTitle: 'VP of Engineering',
    managerTitle: 'Engineering Manager',
    titles: ['Software Engineer', 'Senior Software Engineer', 'Staff Engineer', 'QA Engineer', 'SRE'],
    costCenter: 'CC-100',
  },
  {
    name: 'Product',
    weight: 7,
    headTitle: 'VP of Product',
    managerTitle: 'Group Product Manager',
    titles: ['Product Manager', 'Senior Product Manager', 'Product Designer', 'UX Researcher'],
    costCenter: 'CC-110',
  },
  {
    name: 'Sales',
    weight: 18,
    headTitle: 'VP of Sales',
    managerTitle: 'Sales Manager',
    titles: ['Account Executive', 'Sales Development Rep', 'Solutions Engineer', 'Account Manager'],
    costCenter: 'CC-200',
  },
  {
    name: 'Marketing',
    weight: 8,
    headTitle: 'VP of Marketing',
    managerTitle: 'Marketing Manager',
    titles: ['Content Marketer', 'Growth Marketer', 'Product Marketing Manager', 'Designer'],
    costCenter: 'CC-210',
  },
  {
    name: 'Support',
    weight: 10,
    headTitle: 'VP of Customer Support',
    managerTitle: 'Support Team Lead',
    titles: ['Support Engineer', 'Customer Success Manager', 'Support Specialist'],
    costCenter: 'CC-300',
  },
  {
    name: 'Finance',
    weight: 5,
    headTitle: 'Chief Financial Officer',
    managerTitle: 'Finance Manager',
    titles: ['Accountant', 'Financial Analyst', 'Payroll Specialist', 'Controller'],
    costCenter: 'CC-400',
  },
  {
    name: 'HR',
    weight: 4,
    headTitle: 'Chief People Officer',
    managerTitle: 'HR Manager',
    titles: ['HR Business Partner', 'Recruiter', 'People Operations Specialist'],
    costCenter: 'CC-410',
  },
  {
    name: 'IT',
    weight: 5,
    headTitle: 'Chief Information Officer',
    managerTitle: 'IT Manager',
    titles: ['IT Administrator', 'Security Engineer', 'Helpdesk Technician', 'Systems Engineer'],
    costCenter: 'CC-420',
  },
  {
    name: 'Legal',
    weight: 2,
    headTitle: 'General Counsel',
    managerTitle: 'Legal Manager',
    titles: ['Counsel', 'Paralegal', 'Compliance Analyst'],
    costCenter: 'CC-430',
  },
  {
    name: 'Operations',
    weight: 6,
    headTitle: 'Chief Operating Officer',
    managerTitle: 'Operations Manager',
    titles: ['Operations Analyst', 'Office Manager', 'Procurement Specialist'],
    costCenter: 'CC-500',
  },
];

/** Where contractors' mail lives: outside the tenant's own domains, so they count as external. */
export const contractorDomains: readonly string[] = [
  'northwind-consulting.example',
  'bluepeak-agency.example',
  'freelancers.example',
  'contoso-partners.example',
];

/** The domain used when the tenant has not declared any. */
export const defaultDemoDomain = 'acme.example';
