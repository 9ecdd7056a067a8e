// Issue 12 item 3: the pages the router serves itself are whole (inline HTML and CSS, Heroku's wording) and load
// nothing from outside the machine: no URL of any kind, not even a protocol-relative one.
import { describe, expect, it } from 'vitest';
import { APPLICATION_ERROR_PAGE, MAINTENANCE_PAGE, NO_SUCH_APP_PAGE } from '../../src/router/pages.js';

const PAGES = {
  'application error': { page: APPLICATION_ERROR_PAGE, title: 'Application Error', text: ['Application error', 'An error occurred in the application and your page could not be served. If you are the application owner, check your logs for details. You can do this from the Heroku CLI with the command <code>heroku logs --tail</code>'] },
  maintenance: { page: MAINTENANCE_PAGE, title: 'Offline for Maintenance', text: ['This app is undergoing maintenance right now. Please check back later.'] },
  'no such app': { page: NO_SUCH_APP_PAGE, title: 'No such app', text: ['No such app', 'There is no app configured at that hostname.'] },
};

describe('router pages', () => {
  for (const [name, { page, title, text }] of Object.entries(PAGES)) {
    it(`${name}: Heroku's wording, and no URL at all`, () => {
      const html = page.toString('utf8');
      expect(html).toContain(`<title>${title}</title>`);
      for (const line of text) expect(html).toContain(line);
      expect(html).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/["'(=\s]\/\//);
      expect(html).not.toMatch(/<(iframe|script|link|img)\b|\b(src|href)\s*=|url\(|@import/i);
    });
  }
});
