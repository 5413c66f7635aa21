/** The SaaS side of the demo: real-sounding apps, and parts to name the long tail beyond them. */

export interface CatalogApp {
  name: string;
  category: string;
  vendor: string;
  /** Host and path of the product's site, without the scheme. */
  site: string;
  /** The plan most seats are on; it names the license and the contract. */
  plan: string;
  /** List price per seat per month in USD cents; 0 for free tools. */
  priceMinor: number;
  /** Relative likelihood that a person of a target department uses the app. */
  reach: number;
  /** Target department names; empty means everyone. */
  departments: readonly string[];
}

// A table rather than object literals: one app per line keeps 68 apps reviewable at a glance.
// Columns: name | category | vendor | site | plan | price (USD cents/seat/month) | reach | departments.
// Most important apps first: a demo asking for fewer apps than the catalog holds gets these.
const table = `
Google Workspace|Productivity|Google|workspace.google.com|Business Standard|1200|0.98|*
Slack|Collaboration|Salesforce|slack.com|Business+|1250|0.95|*
Okta|Identity|Okta|okta.com|Workforce Identity|600|0.99|*
Zoom|Video Conferencing|Zoom Video Communications|zoom.us|Business|2199|0.9|*
1Password|Security|AgileBits|1password.com|Business|799|0.95|*
Workday|HR|Workday|workday.com|HCM|4200|0.99|*
Jira|Project Management|Atlassian|atlassian.com/software/jira|Standard|815|0.9|Engineering,Product,IT,Support
Confluence|Knowledge Management|Atlassian|atlassian.com/software/confluence|Standard|620|0.7|Engineering,Product,IT,Support
GitHub|Developer Tools|GitHub|github.com|Enterprise|2100|0.98|Engineering
Salesforce|CRM|Salesforce|salesforce.com|Enterprise|16500|0.95|Sales,Support
Figma|Design|Figma|figma.com|Organization|4500|0.8|Product,Marketing
Notion|Knowledge Management|Notion Labs|notion.so|Business|1500|0.5|*
Lattice|HR|Lattice|lattice.com|Performance|1100|0.9|*
Zendesk|Customer Support|Zendesk|zendesk.com|Suite Professional|11500|0.9|Support
HubSpot|Marketing Automation|HubSpot|hubspot.com|Professional|9000|0.8|Marketing,Sales
NetSuite|Finance|Oracle|netsuite.com|Enterprise|12900|0.8|Finance
Datadog|Monitoring|Datadog|datadoghq.com|Pro|2300|0.7|Engineering
DocuSign|E-Signature|DocuSign|docusign.com|Business Pro|4000|0.6|Sales,Legal,HR,Finance
Miro|Collaboration|Miro|miro.com|Business|1600|0.35|Product,Engineering,Marketing
Asana|Project Management|Asana|asana.com|Business|2499|0.4|Marketing,Operations,HR
Linear|Project Management|Linear|linear.app|Business|1400|0.3|Engineering,Product
Loom|Video|Atlassian|loom.com|Business|1500|0.25|*
Calendly|Productivity|Calendly|calendly.com|Teams|1600|0.6|Sales,Support,HR
Dropbox|File Storage|Dropbox|dropbox.com|Business|1500|0.2|*
Box|File Storage|Box|box.com|Business Plus|3300|0.15|Legal,Finance
Jamf Pro|IT Management|Jamf|jamf.com|Business|400|0.5|IT
CrowdStrike Falcon|Security|CrowdStrike|crowdstrike.com|Falcon Pro|1000|0.3|IT
Intercom|Customer Support|Intercom|intercom.com|Advanced|8500|0.6|Support,Sales
Gong|Sales Enablement|Gong.io|gong.io|Enterprise|10000|0.6|Sales
Outreach|Sales Enablement|Outreach|outreach.io|Standard|10000|0.5|Sales
LinkedIn Sales Navigator|Sales Enablement|LinkedIn|linkedin.com/sales|Advanced|9999|0.5|Sales
ZoomInfo|Sales Intelligence|ZoomInfo|zoominfo.com|Professional|12500|0.3|Sales,Marketing
PagerDuty|Incident Management|PagerDuty|pagerduty.com|Business|4100|0.5|Engineering,IT
Sentry|Monitoring|Functional Software|sentry.io|Business|2600|0.6|Engineering
Postman|Developer Tools|Postman|postman.com|Professional|2900|0.4|Engineering
AWS|Cloud Infrastructure|Amazon Web Services|aws.amazon.com|Business Support|5000|0.6|Engineering,IT
Vercel|Cloud Infrastructure|Vercel|vercel.com|Pro|2000|0.3|Engineering
Snowflake|Data Warehouse|Snowflake|snowflake.com|Enterprise|6000|0.2|Engineering,Finance
Tableau|Business Intelligence|Salesforce|tableau.com|Creator|7500|0.25|Finance,Sales,Operations,Product
Looker|Business Intelligence|Google|looker.com|Standard|6000|0.2|Product,Marketing,Finance
Amplitude|Product Analytics|Amplitude|amplitude.com|Growth|6100|0.4|Product,Marketing
Canva|Design|Canva|canva.com|Teams|1000|0.5|Marketing,Sales,HR
Adobe Creative Cloud|Design|Adobe|adobe.com|All Apps|8999|0.4|Marketing,Product
Greenhouse|Recruiting|Greenhouse Software|greenhouse.io|Expert|6500|0.8|HR
Gusto|Payroll|Gusto|gusto.com|Plus|1200|0.3|HR,Finance
Expensify|Expense Management|Expensify|expensify.com|Control|900|0.6|*
Bill.com|Finance|BILL|bill.com|Corporate|7900|0.7|Finance
Coupa|Procurement|Coupa Software|coupa.com|Enterprise|5000|0.5|Finance,Operations
Ironclad|Legal|Ironclad|ironcladapp.com|Enterprise|9000|0.8|Legal
Vanta|Compliance|Vanta|vanta.com|Business|3000|0.5|IT,Legal
Zapier|Automation|Zapier|zapier.com|Team|6900|0.2|Operations,Marketing,IT
Airtable|Productivity|Airtable|airtable.com|Team|2000|0.25|Operations,Marketing
Grammarly|Productivity|Grammarly|grammarly.com|Business|1500|0.3|*
Mailchimp|Marketing Automation|Intuit|mailchimp.com|Standard|2000|0.4|Marketing
Hootsuite|Social Media|Hootsuite|hootsuite.com|Team|4900|0.4|Marketing
SurveyMonkey|Surveys|Momentive|surveymonkey.com|Team Advantage|3000|0.2|Marketing,HR,Product
ChatGPT Enterprise|AI Assistant|OpenAI|chatgpt.com|Enterprise|6000|0.4|*
Microsoft 365|Productivity|Microsoft|microsoft.com|E3|3600|0.3|Finance,Legal,Operations
Trello|Project Management|Atlassian|trello.com|Free|0|0.15|*
Google Analytics|Web Analytics|Google|analytics.google.com|Free|0|0.3|Marketing,Product
Smartsheet|Project Management|Smartsheet|smartsheet.com|Business|2400|0.2|Operations,Finance
Freshdesk|Customer Support|Freshworks|freshdesk.com|Growth|1500|0.1|Support
Mixpanel|Product Analytics|Mixpanel|mixpanel.com|Growth|2800|0.1|Product
GitLab|Developer Tools|GitLab|gitlab.com|Premium|2900|0.1|Engineering
BambooHR|HR|BambooHR|bamboohr.com|Pro|1200|0.1|HR
Typeform|Surveys|Typeform|typeform.com|Business|8300|0.1|Marketing
Webex|Video Conferencing|Cisco|webex.com|Business|2500|0.05|Sales
Discord|Collaboration|Discord|discord.com|Free|0|0.05|Engineering
`;

function parseRow(line: string): CatalogApp {
  const [name, category, vendor, site, plan, price, reach, departments] = line.split('|');
  if (!name || !category || !vendor || !site || !plan || !price || !reach || !departments) {
    throw new Error(`app catalog: malformed row '${line}'`);
  }
  return {
    name,
    category,
    vendor,
    site,
    plan,
    priceMinor: Number(price),
    reach: Number(reach),
    departments: departments === '*' ? [] : departments.split(','),
  };
}

export const catalogApps: readonly CatalogApp[] = table
  .trim()
  .split('\n')
  .map((line) => parseRow(line.trim()));

/** How many leading catalog apps are the backbone of any company: never discovered or closed. */
export const coreAppCount = 10;

/** Word parts for long-tail app names ("Nimbus" + "Flow"): enough for a few thousand distinct apps. */
export const longTailPrefixes: readonly string[] = `
  Nimbus Vertex Quanta Bright Cobalt Lumen Apex Orbit Pixel Signal Harbor Summit Atlas Nova Echo
  Flux Pulse Beacon Cedar Ember Fable Granite Helix Juniper Kite Meridian Nectar Onyx Prism Quill
  Ripple Sable Tidal Umber Velvet Willow Zephyr Aurora Basalt Canyon Drift Falcon Glacier Horizon
  Indigo Jasper Lantern Mosaic North
`
  .split(/\s+/)
  .filter((w) => w.length > 0);

export const longTailSuffixes: readonly string[] = `
  Desk Flow Hub Base Works Cloud Metrics Sign Pay Chat Docs Sync Board Ops Labs IQ Stack Track
  Vault Forms Mail Notes Scale Point Grid Path Loop Wave Dash Link
`
  .split(/\s+/)
  .filter((w) => w.length > 0);

/** Plans for the long tail, each with a typical price per seat per month in USD cents. */
export const longTailPlans: readonly { plan: string; priceMinor: number }[] = [
  { plan: 'Free', priceMinor: 0 },
  { plan: 'Starter', priceMinor: 800 },
  { plan: 'Team', priceMinor: 1500 },
  { plan: 'Business', priceMinor: 2500 },
  { plan: 'Pro', priceMinor: 3900 },
  { plan: 'Enterprise', priceMinor: 6500 },
];
