// The dashboard in a real browser: Debian's headless Chromium driven by puppeteer-core (no browser download), against
// a test daemon with fixtures/lifecycle deployed. It signs in with the one-time link `berth dashboard` prints, sees
// web.1 go up, crashes it from its card and watches the card turn crashed (the second crash waits out the cool-off)
// and back to up, reveals a masked config var, rolls back a release, and signs in with the API key in a fresh
// browser context. Screenshots are kept in .berth-test/screenshots/ as the test's artifacts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import axe from 'axe-core';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createApp, fixture, type AppJson } from '../support/build.js';
import { BERTH_MAIN, REPO_ROOT, startTestDaemon, type TestDaemon } from '../support/daemon.js';
import { deploy, releases, reportDeadDaemon, SHORT_TIMINGS, waitForDynos } from '../dynos/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, '.berth-test', 'screenshots');

let daemon: TestDaemon;
let app: AppJson;
let browser: Browser;
let page: Page;

/** CI starts from a fresh machine: Debian's chromium is installed the way `npm run bench` installs its tools. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const installed = spawnSync('bash', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium'], { stdio: 'inherit' });
  if (installed.status !== 0 || !existsSync(CHROMIUM)) throw new Error('chromium could not be installed with apt-get');
}

function berth(args: readonly string[]): string {
  const result = spawnSync(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, ...daemon.berthEnv }, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`berth ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: true });
}

/**
 * The page as axe-core (in the page itself) audits it against WCAG 2.1 A and AA: each violation as `rule: target`,
 * none expected. Keyboard use, labels and contrast are among its rules.
 */
async function audit(target: Page): Promise<string[]> {
  await target.evaluate(axe.source);
  const violations = await target.evaluate(async () => {
    const run = (globalThis as unknown as { axe: typeof axe }).axe;
    const results = await run.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return results.violations.flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')}`));
  });
  return violations;
}

/** The card of `dyno` in `state` (its class). */
function card(dyno: string, state: string): string {
  return `.dyno.${state}[data-dyno="${dyno}"]`;
}

/** The text of every element `selector` matches, now. */
function texts(target: Page, selector: string): Promise<string[]> {
  return target.$$eval(selector, (elements) => elements.map((element) => element.textContent ?? ''));
}

/** Waits until `check` holds, reading the page again and again (never a timing assertion). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`the page never showed ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A GET through the router, as a browser visiting the app's web URL: answers the status. */
function visit(path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: daemon.ports.router, path, headers: { host: `${app.name}.localhost` } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** The text of the first element `selector` matches, or '' if none does yet. */
async function textOf(selector: string): Promise<string> {
  return (await texts(page, selector))[0] ?? '';
}

/** Clicks the button labelled `label` in the release timeline's row of `version` (`v3`). */
async function clickInRelease(version: string, label: string): Promise<void> {
  const clicked = await page.$$eval(
    'tr.release',
    (rows, version, label) => {
      const row = rows.find((r) => r.querySelector('td')?.textContent === version);
      const button = [...(row?.querySelectorAll('button') ?? [])].find((b) => b.textContent === label);
      button?.click();
      return button !== undefined;
    },
    version,
    label,
  );
  expect(clicked, `${label} on ${version}`).toBe(true);
}

/** How many times the log tail shows `line`. */
async function logCount(line: string): Promise<number> {
  const [log] = await texts(page, 'pre.log');
  return (log ?? '').split('\n').filter((l) => l.endsWith(line)).length;
}

beforeAll(async () => {
  ensureChromium();
  mkdirSync(SHOTS, { recursive: true });
  daemon = await startTestDaemon({ env: { ...SHORT_TIMINGS } });
  app = await createApp(daemon, 'dash');
  await deploy(daemon, app.name, fixture('lifecycle'));
  await waitForDynos(daemon, app.name, ['web.1'], 'up', { exact: true });
  // The dashboard is served over HTTPS with the local CA's certificate, which this throwaway browser profile does not
  // trust (a user trusts the CA once: README "HTTPS and the local CA").
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, acceptInsecureCerts: true, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  await reportDeadDaemon(daemon);
  if (daemon && app) await api(daemon, 'DELETE', `/apps/${app.name}`).catch(() => undefined);
  await daemon?.dispose();
});

describe('the dashboard in Chromium', () => {
  it('signs in with the one-time link and lists the app with its release, stack and formation', async () => {
    const link = berth(['dashboard']).split('\n')[0] ?? '';
    expect(link).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${daemon.ports.apiTls}/dashboard/login/[\\w-]+$`));
    await page.goto(link);
    await page.waitForSelector(`a[href="#/apps/${app.name}"]`);
    const row = await page.$eval('tr.app', (tr) => tr.textContent ?? '');
    expect(row).toContain(app.name);
    expect(row).toContain('heroku-24');
    expect(row).toContain('web=1:Basic');
    await shot('apps');
    expect(await audit(page)).toEqual([]);
    // The session cookie: for the HTTPS port only, out of the page's scripts' reach, never sent by another site.
    const [cookie] = await page.cookies();
    expect(cookie).toMatchObject({ name: 'berth_session', secure: true, httpOnly: true, sameSite: 'Strict' });
    // The link was spent.
    const again = await browser.createBrowserContext();
    const other = await again.newPage();
    const answer = await other.goto(link);
    expect(answer?.status()).toBe(403);
    await again.close();
  });

  it('shows web.1 up, and a crash from its card turns it crashed, then up again; Cycle cycles it', async () => {
    await page.click(`a[href="#/apps/${app.name}"]`);
    await page.waitForSelector(card('web.1', 'up'));
    await shot('app-up');
    await until('web.1 memory read', async () => /memory [\d.]+ MB/.test(await textOf('[data-dyno="web.1"] .memory')));
    expect(await audit(page)).toEqual([]);
    // The router panel counts the requests' statuses from the router's lines; the card reads the R14 sampler's memory.
    expect(await visit()).toBe(200);
    expect(await visit('/again')).toBe(200);
    await until('two 200s in the router panel', async () => (await textOf('.router .count[data-status="200"]')) === '200 × 2');
    expect(await textOf('.router')).toContain('Error codes: none');
    await until('web.1 memory against its 512 MB quota', async () => /memory [\d.]+ MB of 512 MB/.test(await textOf('[data-dyno="web.1"] .memory')));
    expect(await page.$('[data-dyno="web.1"] meter[aria-label="web.1 memory against its quota"]')).not.toBeNull();
    expect(await textOf('[data-dyno="web.1"] pre.dyno-log')).toContain('heroku[web.1]: State changed from starting to up');
    // The first crash is restarted at once; the second waits out the cool-off in `crashed`.
    const ups = await logCount('heroku[web.1]: State changed from starting to up');
    await page.click('[data-dyno="web.1"] button::-p-text(Crash)');
    await until('web.1 up again', async () => (await logCount('heroku[web.1]: State changed from starting to up')) > ups);
    await page.waitForSelector(card('web.1', 'up'));
    await page.click('[data-dyno="web.1"] button::-p-text(Crash)');
    await page.waitForSelector(card('web.1', 'crashed'));
    // The crashed card says when the cool-off ends and shows its last lines; the router answers H10 meanwhile.
    await until('the cool-off on the crashed card', async () => /^cool-off: starts again at \d\d:\d\d:\d\d UTC$/.test(await textOf('[data-dyno="web.1"] .cooloff')));
    expect(await textOf('[data-dyno="web.1"] pre.dyno-log')).toContain('heroku[web.1]: State changed from up to crashed');
    expect(await visit()).toBe(503);
    await until('H10 in the router panel', async () => (await textOf('.router .count[data-code="H10"]')) === 'H10 × 1');
    await shot('app-crashed');
    await page.waitForSelector(card('web.1', 'up'), { timeout: 60_000 });
    // Daily cycling, from the card too.
    const cycled = await logCount('heroku[web.1]: Cycling');
    await page.click('[data-dyno="web.1"] button::-p-text(Cycle)');
    await until('web.1 cycled', async () => (await logCount('heroku[web.1]: Cycling')) > cycled);
    await page.waitForSelector(card('web.1', 'up'));
    // A chosen exit status, from the card: the main process itself exits with it.
    await page.click('[data-dyno="web.1"] input.exit-status', { count: 3 });
    await page.keyboard.type('2');
    await page.click('[data-dyno="web.1"] button::-p-text(Exit with status)');
    await until('web.1 exited with status 2', async () => (await logCount('heroku[web.1]: Process exited with status 2')) === 1);
    await page.waitForSelector(card('web.1', 'up'), { timeout: 60_000 });
    const log = await page.$eval('pre.log', (pre) => pre.textContent ?? '');
    expect(log).toContain('heroku[web.1]: State changed from up to crashed');
    expect(log).toContain('heroku[web.1]: Process exited with status 137');
  });

  it('masks config vars until asked, and rolls back a release from the timeline', async () => {
    const before = (await releases(daemon, app.name)).find((r) => r.current)?.version;
    await api(daemon, 'PATCH', `/apps/${app.name}/config-vars`, { GREETING: 'hello-dashboard' });
    const next = `v${(before ?? 0) + 1}`;
    // The config change's release runs the release phase first; it becomes current once that succeeds.
    await until(`${next} current`, async () => (await texts(page, 'tr.release')).some((row) => row.startsWith(next) && row.includes('current')));
    // The timeline shows the release phase's output of the new release, and the build output of the deploy.
    await clickInRelease(next, 'Release output');
    await until(`${next}'s release phase output`, async () => (await textOf('pre.output')).includes('release.py: done'));
    expect(await textOf('#output-title')).toBe(`${next} release phase output`);
    expect(await textOf('pre.output')).toContain('GREETING=hello-dashboard');
    const deployed = (await releases(daemon, app.name)).find((r) => r.description.startsWith('Deploy'))?.version;
    await clickInRelease(`v${deployed}`, 'Build output');
    await until(`v${deployed}'s build output`, async () => (await textOf('pre.output')).includes('-----> Building on the Heroku-24 stack'));
    await shot('app-build-output');
    const config = (await texts(page, 'section')).find((text) => text.startsWith('Config vars')) ?? '';
    expect(config).toContain('GREETING');
    expect(config).not.toContain('hello-dashboard');
    await page.click('button::-p-text(Reveal)');
    await page.waitForSelector('code::-p-text(hello-dashboard)');
    await page.click(`button::-p-text(Roll back to v${before})`);
    await until(`Rollback to v${before} current`, async () =>
      (await texts(page, 'tr.release')).some((row) => row.includes(`Rollback to v${before}`) && row.includes('current')),
    );
    await shot('app-rolled-back');
    expect((await releases(daemon, app.name)).find((r) => r.current)?.description).toBe(`Rollback to v${before}`);
  });

  it('over the plain HTTP port the page is a redirect to the HTTPS one, and the sign-in is refused', async () => {
    const fresh = await browser.createBrowserContext();
    const other = await fresh.newPage();
    await other.goto(`http://127.0.0.1:${daemon.ports.api}/`);
    expect(other.url()).toBe(`https://127.0.0.1:${daemon.ports.apiTls}/`);
    const refused = await other.goto(`http://127.0.0.1:${daemon.ports.api}/dashboard/login/anything`);
    expect(refused?.status()).toBe(403);
    expect((await texts(other, 'body'))[0]).toContain(`The dashboard signs in over HTTPS only: open https://127.0.0.1:${daemon.ports.apiTls}/`);
    await fresh.close();
  });

  it('signs in with the API key in a fresh browser', async () => {
    const fresh = await browser.createBrowserContext();
    const other = await fresh.newPage();
    await other.goto(`https://127.0.0.1:${daemon.ports.apiTls}/`);
    await other.waitForSelector('input[type="password"]');
    expect(await audit(other)).toEqual([]);
    // Keyboard only: the key field takes the focus from the top of the page with Tab.
    const focused = () => other.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null } | null } }).document.activeElement?.getAttribute('type'));
    for (let i = 0; i < 5 && (await focused()) !== 'password'; i++) await other.keyboard.press('Tab');
    expect(await focused()).toBe('password');
    await other.type('input[type="password"]', daemon.apiKey);
    await other.keyboard.press('Enter');
    await other.waitForSelector(`a[href="#/apps/${app.name}"]`);
    await fresh.close();
  });
});
