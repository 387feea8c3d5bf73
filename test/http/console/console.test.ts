// The web console in a real browser (the distribution's Chromium through playwright-core):
// setup link, sign-in, CSRF, the directory pages, Test connection, the live activity feed,
// refused requests with their reason, division scope for a console user (in the page and
// by replaying its requests), an accessibility scan of every page, phone width.
// Screenshots go to test-artifacts/console/ (ignored by git) for a reviewer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/browser.ts';
import type { FastifyInstance } from 'fastify';
import { createOrg, ENT, entraUser, listening, startHarness, type Harness, type Org } from '../../helpers/harness.ts';

const ARTIFACTS = 'test-artifacts/console';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('web console (Chromium)', { timeout: 180_000 }, () => {
  let h: Harness;
  let app: FastifyInstance;
  let url: string;
  let org: Org;
  let browser: Browser;
  let admin: BrowserContext;
  let p: Page;
  const external: string[] = [];

  const scim = async (method: string, path: string, body?: unknown, token = org.token) => {
    const r = await app.inject({ method: method as 'GET', url: `/api/v2/scim/v2${path}`, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  /** axe-core in the page (through the debugger protocol, which the page's CSP does not govern). */
  const accessible = async (page: Page, name: string) => {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }> } }).axe.run();
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} x${v.nodes.length}`);
    });
    assert.deepEqual(violations, [], `${name}: ${violations.join('\n')}`);
  };
  const signIn = async (context: BrowserContext, email: string, password: string) => {
    const page = await context.newPage();
    await page.goto(`${url}/console/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return page;
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness();
    ({ app, url } = await listening(h, { consoleLiveIntervalMs: 150 }));
    org = await createOrg(h, 'genesys', 'Contoso');
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    admin.setDefaultTimeout(10_000);
    admin.on('request', (r) => {
      if (!r.url().startsWith(url)) external.push(r.url());
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await h?.close();
  });

  test('setup link -> first administrator -> signed in; the link works once', async () => {
    const token = await app.consoleAuth.createSetupToken(org.organization.id);
    p = await admin.newPage();
    const res = await p.goto(`${url}/console/setup?token=${token}`);
    const csp = res!.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res!.headers()['x-content-type-options'], 'nosniff');
    await accessible(p, 'setup');
    await shot(p, 'setup');
    await p.getByLabel('Email (your sign-in name)').fill('ada@contoso.com');
    await p.getByLabel('Name', { exact: true }).fill('Ada Admin');
    await p.getByLabel('Password (at least 12 characters)').fill('correct horse battery');
    await p.getByRole('button', { name: 'Create administrator' }).click();
    await p.waitForURL(`${url}/console?**`);
    assert.match(await p.locator('main').innerText(), /you are this organization's administrator/);
    assert.match(await p.locator('#tenant-url').innerText(), new RegExp(`${url}/api/v2/scim/v2`));
    const cookie = (await admin.cookies()).find((c) => c.name === 'scimitar_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await accessible(p, 'connect');
    await shot(p, 'connect');
    const again = await admin.newPage();
    await again.goto(`${url}/console/setup?token=${token}`);
    await again.getByLabel('Email (your sign-in name)').fill('eve@contoso.com');
    await again.getByLabel('Name', { exact: true }).fill('Eve');
    await again.getByLabel('Password (at least 12 characters)').fill('another long password');
    await again.getByRole('button', { name: 'Create administrator' }).click();
    assert.match(await again.locator('[role=alert]').innerText(), /used already or has expired/);
    await again.close();
  });

  test('sign out; a wrong password is refused and audited; sign in again', async () => {
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.waitForURL(`${url}/console/sign-in**`);
    await accessible(p, 'sign-in');
    await shot(p, 'sign-in');
    const wrong = await signIn(admin, 'ada@contoso.com', 'not the password');
    assert.match(await wrong.locator('[role=alert]').innerText(), /Wrong email or password/);
    await wrong.close();
    const audits = await app.inject({ url: '/api/v2/audits?order=desc&pageSize=5', headers: { authorization: `Bearer ${org.token}` } });
    assert.ok(audits.json().entities.some((r: { action: string; changes: { reason?: { after: string } } }) => r.action === 'console.signIn.failed' && r.changes.reason?.after === 'wrong password'));
    assert.ok(!audits.body.includes('not the password'));
    p = await signIn(admin, 'ada@contoso.com', 'correct horse battery');
    await p.waitForURL(`${url}/console`);
  });

  test('a change without the CSRF token is refused, with the session cookie', async () => {
    const r = await p.request.post(`${url}/console/divisions`, { form: { name: 'Forged' } });
    assert.equal(r.status(), 403);
    assert.match(await r.text(), /CSRF/);
    const list = await app.inject({ url: '/api/v2/authorization/divisions', headers: { authorization: `Bearer ${org.token}` } });
    assert.ok(!list.body.includes('Forged'));
  });

  test('a form whose fields are not text is refused by the form schema with the console\'s page, and changes nothing', async () => {
    const r = await p.request.post(`${url}/console/divisions`, { data: { name: { toString: 'Forged' } } });
    assert.equal(r.status(), 400);
    assert.match(r.headers()['content-type'], /text\/html/);
    assert.match(await r.text(), /could not be read/);
    const list = await app.inject({ url: '/api/v2/authorization/divisions', headers: { authorization: `Bearer ${org.token}` } });
    assert.ok(!list.body.includes('Forged'));
  });

  test('create a division, a public group and a client for Entra (secret shown once); Test connection', async () => {
    await p.goto(`${url}/console/divisions`);
    await p.getByLabel('Name', { exact: true }).fill('Sales');
    await p.getByRole('button', { name: 'Create division' }).click();
    assert.match(await p.locator('[role=status]').innerText(), /Division created/);
    await accessible(p, 'divisions');
    await shot(p, 'divisions');
    await p.goto(`${url}/console/groups`);
    assert.match(await p.locator('main').innerText(), /No groups yet/);
    await p.getByLabel('Name', { exact: true }).fill('Sales Team');
    await p.getByRole('button', { name: 'Create group' }).click();
    assert.match(await p.locator('table').innerText(), /Sales Team\s+public \(SCIM sees it\)/);
    await accessible(p, 'groups');
    await shot(p, 'groups');

    await p.goto(`${url}/console`);
    await p.getByLabel('Name', { exact: true }).fill('Entra-prod');
    await p.getByLabel('Divisions the role applies to').selectOption({ label: 'Sales' });
    await p.getByRole('button', { name: 'Create client' }).click();
    const secret = await p.locator('#client-secret').innerText();
    const clientId = await p.locator('#client-id').innerText();
    assert.ok(secret.length >= 32);
    await shot(p, 'client-secret');
    await p.getByRole('button', { name: 'Test connection' }).click();
    assert.match(await p.locator('#test-result').innerText(), /Connection OK[\s\S]*GET \/api\/v2\/scim\/v2\/Users\?filter=userName%20eq[\s\S]*-> 200/);
    await accessible(p, 'test-connection');
    await shot(p, 'test-connection');
    await p.goto(`${url}/console/clients`);
    assert.match(await p.locator('table').innerText(), /Entra-prod\s+\S+\s+active\s+SCIM Provisioning on Sales/);
    assert.ok(!(await p.content()).includes(secret), 'the secret is shown once');
    await accessible(p, 'clients');
    await shot(p, 'clients');
    // A wrong secret: Test connection says why.
    await p.goto(`${url}/console`);
    await p.getByLabel('Client id').fill(clientId);
    await p.getByLabel('Client secret').fill('wrong');
    await p.getByRole('button', { name: 'Test connection' }).click();
    assert.match(await p.locator('#test-result').innerText(), /token request was refused \(401\)/);
  });

  test('the activity feed shows a SCIM PATCH and a refused create without reloading', async () => {
    const alice = await scim('POST', '/Users', entraUser('alice@contoso.com', { displayName: 'Alice Adams', title: 'Engineer' }));
    assert.equal(alice.status, 201);
    await p.goto(`${url}/console/activity`);
    await p.locator('#live-status', { hasText: 'Live' }).waitFor();
    await accessible(p, 'activity');
    // From here on the page learns of changes over the stream it holds open: the network log
    // shows no request at all while two entries arrive (no polling).
    const madeByPage: string[] = [];
    const record = (r: { url(): string }) => madeByPage.push(r.url());
    p.on('request', record);
    await scim('PATCH', `/Users/${alice.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Manager' }] });
    const changed = p.locator('#feed li', { hasText: 'Admin client changed user Alice Adams' });
    await changed.waitFor({ timeout: 10_000 });
    assert.match(await changed.innerText(), /title\s+Engineer\s+Manager/, 'old beside new, per attribute');
    const refused = await scim('POST', '/Users', entraUser('dave@contoso.com', { phoneNumbers: [{ type: 'work', value: '317-555-0104' }] }));
    assert.equal(refused.status, 400);
    const entry = p.locator('#feed li[data-outcome=refused]', { hasText: 'tried to create user dave@contoso.com' });
    await entry.waitFor({ timeout: 10_000 });
    assert.match(await entry.innerText(), /317-555-0104.*not valid: use E\.164/);
    p.off('request', record);
    assert.deepEqual(madeByPage, [], 'the feed updated without a request from the page');
    await shot(p, 'activity');
    await p.getByLabel('Outcome').selectOption('refused');
    await p.getByRole('button', { name: 'Filter' }).click();
    const items = await p.locator('#feed > li').allInnerTexts();
    assert.ok(items.length >= 1 && items.every((t) => /refused/.test(t)), items.join('\n'));
  });

  test('requests: a read and a 401 are listed with how they authenticated; the Connect page charts the last 24 hours', async () => {
    assert.equal((await fetch(`${url}/api/v2/scim/v2/Users?marker=browser-unknown-token`, { headers: { authorization: 'Bearer nobody-issued-this' } })).status, 401);
    await scim('GET', '/Users?marker=browser-read');
    await app.requestLog.flush();
    for (const width of [1280, 390]) {
      await p.setViewportSize({ width, height: 900 });
      await p.goto(`${url}/console/requests`);
      const unknown = p.locator('.feed.requests > li', { hasText: 'marker=browser-unknown-token' });
      assert.match(await unknown.innerText(), /401[\s\S]*unknown or revoked token/);
      assert.match(await p.locator('.feed.requests > li', { hasText: 'marker=browser-read' }).innerText(), /200[\s\S]*bearer token of /);
      assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `no sideways scrolling at ${width} px`);
      await accessible(p, `requests-${width}`);
      await shot(p, `requests-${width}`);
      await p.getByLabel('Status').selectOption('401');
      await p.getByRole('button', { name: 'Filter' }).click();
      const statuses = await p.locator('.feed.requests > li .badge').allInnerTexts();
      assert.ok(statuses.length >= 1 && statuses.every((st) => st === '401'), statuses.join(','));
      await p.goto(`${url}/console`);
      assert.match(await p.locator('#traffic').locator('..').innerText(), /Last accepted request: .* UTC, from /);
      assert.equal(await p.locator('svg.chart rect').count() > 0, true, 'bars for the hours with requests');
    }
    await p.setViewportSize({ width: 1280, height: 900 });
  });

  test('users: search, detail with attributes, groups, manager and history; disable with the audit', async () => {
    const boss = await scim('POST', '/Users', entraUser('boss@contoso.com', { displayName: 'Bea Boss' }));
    const list = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "alice@contoso.com"')}`);
    const aliceId = list.body.Resources[0].id;
    await scim('PATCH', `/Users/${aliceId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: `${ENT}:manager`, value: boss.body.id }] });
    await p.goto(`${url}/console/users`);
    await p.getByLabel('Search').fill('ALICE');
    await p.getByRole('button', { name: 'Search' }).click();
    assert.match(await p.locator('main').innerText(), /1 user found/);
    await accessible(p, 'users');
    await shot(p, 'users');
    await p.getByRole('link', { name: 'alice@contoso.com' }).click();
    const main = await p.locator('main').innerText();
    assert.match(main, /Title\s+Manager/, 'labelled fields');
    assert.match(main, /Manager\s+Bea Boss/);
    assert.match(main, /Emails\s+work\.alice@contoso\.com \(work, primary\)/, 'a multi-valued attribute by its values');
    assert.match(main, /title\s+Engineer\s+Manager/, 'the history, old beside new');
    await p.getByText('All attributes as SCIM JSON').click();
    assert.match(await p.locator('pre.json').innerText(), /"userName": "alice@contoso\.com"/, 'the SCIM JSON one click away');
    await accessible(p, 'user');
    await shot(p, 'user');
    await p.getByRole('button', { name: 'Disable' }).click();
    assert.match(await p.locator('[role=status]').innerText(), /Disabled/);
    assert.equal((await scim('GET', `/Users/${aliceId}`)).body.active, false);
    // Delete asks first (the page's script); dismissing keeps the user.
    p.once('dialog', (d) => void d.dismiss());
    await p.getByRole('button', { name: 'Delete' }).click();
    assert.equal((await scim('GET', `/Users/${aliceId}`)).status, 200);
    await p.goto(`${url}/console/roles`);
    await accessible(p, 'roles');
    await shot(p, 'roles');
  });

  test('a console user scoped to Sales sees and changes only Sales, in the page and by replaying requests', async () => {
    const home = (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "boss@contoso.com"')}`)).body.Resources[0].id as string;
    const rep = await scim('POST', '/Users', entraUser('rep@contoso.com', { displayName: 'Rita Rep', password: 'rep password 1234', [ENT]: { division: 'Sales' } }));
    assert.equal(rep.status, 201);
    // A role made in the console from the catalogue, granted on Sales.
    await p.goto(`${url}/console/roles`);
    await p.getByLabel('Name', { exact: true }).fill('Sales desk');
    for (const perm of ['directory:user:view', 'directory:user:edit', 'audits:audit:view']) await p.getByLabel(perm, { exact: true }).check();
    await p.getByRole('button', { name: 'Create role' }).click();
    await p.goto(`${url}/console/users/${rep.body.id}`);
    await p.getByLabel('Grant role').selectOption({ label: 'Sales desk' });
    await p.getByLabel('on', { exact: true }).selectOption({ label: 'Sales' });
    await p.getByRole('button', { name: 'Grant' }).click();
    assert.match(await p.locator('main').innerText(), /Sales desk on Sales/);

    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    ctx.setDefaultTimeout(10_000);
    const r = await signIn(ctx, 'rep@contoso.com', 'rep password 1234');
    await r.waitForURL(`${url}/console`);
    assert.deepEqual(await r.locator('nav li').allInnerTexts(), ['Users', 'Activity']);
    await r.goto(`${url}/console/users`);
    const rows = await r.locator('tbody tr').allInnerTexts();
    assert.deepEqual(rows.map((t) => t.split('\t')[0]), ['rep@contoso.com']);
    assert.ok(await r.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling at phone width');
    await shot(r, 'users-phone');
    const hidden = await r.goto(`${url}/console/users/${home}`);
    assert.equal(hidden!.status(), 404);
    assert.ok(!(await r.content()).includes('boss@contoso.com'));
    // Replaying a change to the Home user with this session's own valid CSRF token.
    await r.goto(`${url}/console/users/${rep.body.id}`);
    const csrf = await r.locator('input[name=_csrf]').first().getAttribute('value');
    const replay = await r.request.post(`${url}/console/users/${home}/state`, { form: { _csrf: csrf!, state: 'inactive' }, maxRedirects: 0 });
    assert.equal(replay.status(), 303);
    // The refusal's message travels sealed; the page it leads to shows it.
    const notice = async (location: string | undefined) => (await r.request.get(new URL(location ?? '', url).href)).text().then((t) => /role="alert">([^<]*)</.exec(t)?.[1] ?? '');
    assert.match(await notice(replay.headers().location), /^User .* not found$/);
    assert.equal((await scim('GET', `/Users/${home}`)).body.active, true, 'the Home user is unchanged');
    const del = await r.request.post(`${url}/console/users/${home}/delete`, { form: { _csrf: csrf! }, maxRedirects: 0 });
    assert.match(await notice(del.headers().location), /not found/);
    assert.equal((await scim('GET', `/Users/${home}`)).status, 200);
    const divisions = await r.goto(`${url}/console/divisions`);
    assert.ok(divisions!.status() === 403 || !(await r.content()).includes('Home'), 'no divisions page without the permission');
    await r.goto(`${url}/console/activity`);
    const feed = await r.locator('#feed').innerText();
    assert.ok(!feed.includes('Bea Boss') && !feed.includes('boss@') && !feed.includes('dave@'), feed);
    await accessible(r, 'activity-phone');
    await ctx.close();
  });

  test('keyboard: the skip link is the first stop and leads to the content; focus is visible', async () => {
    const page = await admin.newPage();
    await page.goto(`${url}/console/users`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused element is outlined');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#main$/);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'q', 'then the search field');
    await page.close();
  });

  test('every asset came from the console itself', () => {
    assert.deepEqual(external, []);
  });
});
