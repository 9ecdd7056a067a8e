// How much of Heroku's Platform API Berth routes: every link of the schema (shared/reference) that makes sense for a
// local, single-user Heroku, its href normalised (`{(...)}` → a parameter) and looked up in Fastify's route table.
// Prints the numbers (issue #17's closing count) and holds the line: a link routed today stays routed. "Routed" counts
// a link whose route exists; one of them still answers a fixed empty list (GET /apps/{app}/sni-endpoints). The schema
// is a reference file outside the repository: where it is absent (a fresh CI machine) the count is skipped.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platform, type Platform } from '../support/platform.js';

const SCHEMA = '/work/shared/reference/heroku-platform-api-schema.json';

/**
 * Whole resources out of scope: teams, enterprise accounts, Private Spaces and their networking, billing, OAuth and
 * identity, add-on partners' own API, app transfers between users, Fir's telemetry; and the SMS/password recovery
 * of a hosted account.
 */
const OUT_OF_SCOPE = [
  /^team/,
  /^enterprise-account/,
  /^space/,
  /^peering/,
  /^vpn-connection$/,
  /^inbound-ruleset$/,
  /^identity-provider$/,
  /^oauth-/,
  /^invoice/,
  /^credit$/,
  /^account-delinquency$/,
  /^audit-trail-event$/,
  /^archive$/,
  /^allowed-add-on-service$/,
  /^add-on-webhook/,
  /^add-on-action$/,
  /^add-on-config$/,
  /^app-transfer$/,
  /^pipeline-transfer$/,
  /^permission-entity$/,
  /^filter-apps$/,
  /^sms-number$/,
  /^password-reset$/,
  /^telemetry-drain$/,
];

/** Links routed when this test was written (issue #17's closing count): the number may only grow. */
const ROUTED_AT_LEAST = 126;

interface Link {
  readonly resource: string;
  readonly method: string;
  readonly href: string;
}

function schemaLinks(): Link[] {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as { definitions: Record<string, { links?: Array<{ method: string; href: string }> }> };
  return Object.entries(schema.definitions).flatMap(([resource, definition]) =>
    (definition.links ?? []).map((link) => ({ resource, method: link.method.toUpperCase(), href: link.href })),
  );
}

/** `/apps/{(%23%2Fdefinitions%2Fapp%2Fdefinitions%2Fidentity)}/dynos` → `/apps/:p1/dynos`. */
function routePattern(href: string): string {
  let n = 0;
  return href.replace(/\{\([^)]*\)\}/g, () => `:p${++n}`);
}

let p: Platform;
beforeAll(async () => {
  p = await platform();
});
afterAll(async () => {
  await p.close();
});

describe('Platform API schema coverage', () => {
  it.skipIf(!existsSync(SCHEMA))('routes the in-scope links of the schema', async () => {
    const api = p.api;
    await api.ready();
    const links = schemaLinks();
    const inScope = links.filter((link) => !OUT_OF_SCOPE.some((pattern) => pattern.test(link.resource)));
    const routed = inScope.filter((link) => api.hasRoute({ method: link.method as 'GET', url: routePattern(link.href) }));
    const missing = inScope.filter((link) => !routed.includes(link));
    console.log(
      `Platform API schema: ${links.length} links, ${inScope.length} in scope, ${routed.length} routed by Berth.\n` +
        `Not routed:\n${missing.map((link) => `  ${link.method} ${routePattern(link.href)} (${link.resource})`).join('\n')}`,
    );
    expect(inScope.length).toBeGreaterThan(150);
    expect(routed.length).toBeGreaterThanOrEqual(ROUTED_AT_LEAST);
  });
});
