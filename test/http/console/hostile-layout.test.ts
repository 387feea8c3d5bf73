// Every console page, in Chromium, at phone width (390 px) and desktop width (1280 px), filled
// with hostile data (values hundreds of characters long without a space, long URNs, HTML):
// no page scrolls sideways, no markup from the data runs, and a reload after each kind of
// form post changes nothing. Screenshots of every page at both widths go to
// test-artifacts/console-layout/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signUpFirstAdmin } from '../../helpers/browser.ts';
import type { FastifyInstance } from 'fastify';
import { addDivision, addGroup, createOrg, ENT, entraUser, listening, startHarness, type Harness, type Org } from '../../helpers/harness.ts';

const ARTIFACTS = 'test-artifacts/console-layout';
const LONG = 'x'.repeat(240);
const HTML = '<img src=x onerror="window.__pwned=1"><b>bold</b>';

describe('console layout with hostile data (Chromium)', { timeout: 240_000 }, () => {
  let h: Harness;
  let app: FastifyInstance;
  let url: string;
  let org: Org;
  let browser: Browser;
  let p: Page;
  const ids: Record<string, string> = {};

  const scim = async (method: string, path: string, body?: unknown) => {
    const r = await app.inject({ method: method as 'GET', url: `/api/v2/scim/v2${path}`, headers: { authorization: `Bearer ${org.token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness({ webhookAllowHttpLoopback: true, secretKey: 'a hostile layout test secret key, 32+ long' });
    ({ app, url } = await listening(h));
    org = await createOrg(h, 'genesys', `Org ${HTML}`);
    // Hostile data everywhere a page shows data.
    await addDivision(h, org, `Division ${LONG}`);
    ids.group = await addGroup(h, org, `Group ${HTML} ${LONG}`);
    const boss = await scim('POST', '/Users', entraUser(`boss.${'b'.repeat(150)}@contoso.com`, { displayName: `Boss ${HTML}` }));
    const user = await scim('POST', '/Users', entraUser(`${'u'.repeat(180)}@contoso.com`, {
      displayName: `${HTML} ${LONG}`, title: LONG, phoneNumbers: [{ type: 'work', value: '+13175550100' }],
      emails: [{ type: 'work', value: `${'e'.repeat(200)}@contoso.com`, primary: true }],
      [ENT]: { department: LONG, employeeNumber: LONG, manager: { value: boss.body.id } },
    }));
    assert.equal(user.status, 201, JSON.stringify(user.body));
    ids.user = user.body.id;
    await scim('PATCH', `/Users/${ids.user}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `${LONG}${LONG}` }, { op: 'replace', path: `${ENT}:department`, value: HTML }] });
    await scim('PATCH', `/Groups/${ids.group}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: ids.user }] }] });
    // Refused requests with long bodies and URNs (Activity, Requests).
    await scim('POST', '/Users', entraUser(`refused.${'r'.repeat(120)}@contoso.com`, { phoneNumbers: [{ type: 'work', value: LONG }], [`urn:ietf:params:scim:schemas:extension:${'long'.repeat(30)}:2.0:User`]: { x: LONG } }));
    await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${LONG}"`)}&marker=${LONG}`);
    await app.inject({ method: 'POST', url: '/api/v2/oauth/clients', headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ name: `Client ${HTML} ${LONG}`, roleDivisions: [] }) });
    // A webhook with a long URL and description, and a failed delivery with a long answer.
    const hook = await app.inject({ method: 'POST', url: '/api/v2/webhooks', headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ url: `http://127.0.0.1:9/${LONG}?q=${LONG}`, description: `${HTML} ${LONG}` }) });
    assert.equal(hook.statusCode, 201, hook.body);
    ids.webhook = hook.json().id;
    await app.inject({ method: 'POST', url: `/api/v2/webhooks/${ids.webhook}/test`, headers: { authorization: `Bearer ${org.token}` } });
    // A provisioning job with a long name and target, and a log entry with a long error (its target does not answer).
    const job = await app.inject({ method: 'POST', url: '/api/v2/provisioning/jobs', headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({
      name: `Job ${HTML} ${LONG}`.slice(0, 200), target: { url: `http://127.0.0.1:9/${LONG}`, token: 't' },
      // A mapping and a scoping clause with long and HTML values: the job page shows both in its tables and forms.
      mappings: { users: [
        { target: 'userName', source: { type: 'direct', attribute: 'userPrincipalName' }, apply: 'always', match: 1 },
        { target: 'title', source: { type: 'constant', value: `${HTML} ${LONG}` }, apply: 'always', defaultValue: LONG },
      ] },
      scopingFilters: [{ clauses: [{ attribute: 'department', operator: 'EQUALS', value: `${HTML} ${LONG}` }] }],
    }) });
    assert.equal(job.statusCode, 201, job.body);
    ids.job = job.json().id;
    await app.inject({ method: 'POST', url: `/api/v2/provisioning/jobs/${ids.job}/provision-on-demand`, headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ user: `${'u'.repeat(180)}@contoso.com` }) });
    await app.requestLog.flush();
    await app.refusals.flush();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    p = await context.newPage();
    const setup = await app.consoleAuth.createSetupToken(org.organization.id);
    await signUpFirstAdmin(p, `${url}/console/setup?token=${setup}`, url, { email: 'root@contoso.com', name: `Root ${LONG}`, password: 'a long admin password' });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await h?.close();
  });

  test('no page scrolls sideways at 390 or 1280 px, and no markup from the data runs', async () => {
    const pages: [string, string][] = [
      ['connect', '/console'], ['users', '/console/users'], ['user', `/console/users/${ids.user}`], ['groups', '/console/groups'], ['group', `/console/groups/${ids.group}`],
      ['divisions', '/console/divisions'], ['roles', '/console/roles'], ['clients', '/console/clients'], ['activity', '/console/activity'], ['requests', '/console/requests'],
      ['webhooks', '/console/webhooks'], ['webhook', `/console/webhooks/${ids.webhook}`], ['jobs', '/console/provisioning'], ['job', `/console/provisioning/${ids.job}`],
    ];
    const wide: string[] = [];
    for (const width of [390, 1280]) {
      await p.setViewportSize({ width, height: 900 });
      for (const [name, path] of pages) {
        const res = await p.goto(`${url}${path}`);
        assert.equal(res?.status(), 200, path);
        await p.evaluate(() => document.querySelectorAll('details').forEach((d) => d.setAttribute('open', '')));
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 1) wide.push(`${path} at ${width} px: ${overflow} px too wide`);
        await p.screenshot({ path: `${ARTIFACTS}/${name}-${width}.png`, fullPage: true });
      }
    }
    assert.deepEqual(wide, []);
    assert.equal(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no markup from the data ran');
  });

  test('reloading after a form post changes nothing', async () => {
    await p.setViewportSize({ width: 1280, height: 900 });
    const groups = async () => (await scim('GET', '/Groups?count=100')).body.totalResults as number;
    const clients = async () => ((await app.inject({ url: '/api/v2/oauth/clients', headers: { authorization: `Bearer ${org.token}` } })).json() as { total: number }).total;
    // A change answered with a redirect: the reload is a GET of the page it leads to.
    await p.goto(`${url}/console/divisions`);
    await p.getByLabel('Name', { exact: true }).fill('Reloaded once');
    await p.getByRole('button', { name: 'Create division' }).click();
    await p.waitForURL(/\/console\/divisions\?ok=division-created/);
    await p.reload();
    const divisions = (await app.inject({ url: '/api/v2/authorization/divisions', headers: { authorization: `Bearer ${org.token}` } })).json() as { entities: { name: string }[] };
    assert.equal(divisions.entities.filter((d) => d.name === 'Reloaded once').length, 1);
    // A change that shows a secret: the reload shows nothing and makes nothing.
    const before = await clients();
    await p.goto(`${url}/console`);
    await p.getByLabel('Name', { exact: true }).fill('Reload-proof client');
    await p.getByRole('button', { name: 'Create client' }).click();
    await p.waitForURL(`${url}/console/reveal`);
    assert.ok((await p.locator('#client-secret').innerText()).length > 20);
    await p.reload();
    assert.match(await p.locator('main').innerText(), /shown once/);
    assert.equal(await clients(), before + 1);
    assert.equal(await groups(), 1, 'untouched');
  });
});
