// The console's Provisioning page in Chromium, against a second Scimitar as the target: an
// administrator makes a job from the form (stopped, in pilot), tests the connection, provisions
// one user on demand and sees each step (the match on the target, the create with its request
// and the target's answer), goes live after a confirmation, starts the job, and the user's
// change arrives on the target.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signUpFirstAdmin } from '../../helpers/browser.ts';
import { adminApi, call, entraUser, patchOp, type Harness, type Org } from '../../helpers/harness.ts';
import { startHub, type Hub } from '../../helpers/hub.ts';

describe('console: Provisioning (Chromium)', { timeout: 120_000 }, () => {
  let hub: Hub;
  let a: Harness;
  let b: Harness;
  let orgA: Org;
  let orgB: Org;
  let aUrl = '';
  let bUrl = '';
  let browser: Browser;
  let p: Page;
  let client = { id: '', secret: '' };

  before(async () => {
    hub = await startHub({ listenA: true, orgNames: ['Hub', 'Downstream'] });
    ({ a, b, orgA, orgB, aUrl, bUrl, client } = hub);
    browser = await launchChromium();
    p = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    p.setDefaultTimeout(10_000);
    p.on('dialog', (d) => void d.accept());
    await signUpFirstAdmin(p, `${aUrl}/console/setup?token=${await hub.aApp!.consoleAuth.createSetupToken(orgA.organization.id)}`, aUrl, { email: 'root@hub.test', name: 'Root', password: 'a long admin password' });
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('make a job, test it, provision one user on demand with every step shown, go live, start', async () => {
    const made = await call(a, { method: 'POST', path: '/Users', token: orgA.token, body: entraUser('lin@contoso.com', { title: 'Analyst' }) });
    assert.equal(made.status, 201);
    await p.goto(`${aUrl}/console/provisioning`);
    assert.match(await p.locator('main').innerText(), /No provisioning jobs yet/);
    await p.getByLabel('Name', { exact: true }).fill('to Downstream');
    await p.getByLabel('Tenant URL').fill(`${bUrl}/api/v2/scim/v2`);
    await p.getByLabel('Token endpoint').fill(`${bUrl}/oauth/token`);
    await p.getByLabel('Client identifier').fill(client.id);
    await p.getByLabel('Client secret').fill(client.secret);
    await p.getByRole('button', { name: 'Create job' }).click();
    await p.waitForURL(/\/console\/provisioning\/[0-9a-f-]{36}/);
    const jobId = () => /\/console\/provisioning\/([0-9a-f-]{36})/.exec(p.url())![1];
    const main = () => p.locator('main').innerText();
    // Screens for a reviewer and for docs/provisioning.md's walkthrough (test-artifacts/ is not committed).
    mkdirSync('test-artifacts/console', { recursive: true });
    const shot = (name: string, locator = p.locator('main')) => locator.screenshot({ path: `test-artifacts/console/provisioning-${name}.png` });
    assert.match(await main(), /Job created: stopped, in pilot/);
    assert.ok(!(await p.content()).includes(client.secret), 'the secret is not on the page');

    await p.getByRole('button', { name: 'Test connection' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Test connection succeeded/);

    await p.getByLabel('User (id or userName)', { exact: true }).fill('lin@contoso.com');
    await p.getByRole('button', { name: 'Provision', exact: true }).click();
    await p.waitForLoadState();
    const shown = await main();
    assert.match(shown, /Provision on demand: lin@contoso\.com/);
    await shot('page');
    assert.match(shown, /Match on the target: GET \/Users\?filter=userName/);
    assert.match(shown, /Create: POST \/Users Prefer: validate-only → 201/);
    await p.locator('details', { hasText: 'Request' }).first().evaluate((d) => d.setAttribute('open', ''));
    assert.match(await main(), /"userName": "lin@contoso\.com"/);
    assert.equal((await call(b, { path: `/Users?filter=${encodeURIComponent('userName eq "lin@contoso.com"')}`, token: orgB.token })).body.totalResults, 0, 'the pilot made nothing');
    // POST, then redirect: the page shows the run from its log entry, and a reload sends nothing again.
    assert.match(p.url(), /\?demand=/);
    assert.match(shown, /Provisioned on demand/);
    const runs = async () => (await adminApi(() => a, () => orgA.token)('GET', `/provisioning/jobs/${jobId()}/logs?user=lin@contoso.com`)).body.entities.filter((e: { cycle: string }) => e.cycle === 'on-demand').length;
    const before = await runs();
    await p.reload();
    assert.match(await main(), /Create: POST \/Users Prefer: validate-only → 201/);
    assert.equal(await runs(), before, 'the reload ran nothing');

    // The mapping preview: the error with its position, then the value.
    await p.getByRole('textbox', { name: /^Expression/ }).fill('Join(" ", [jobTitle], Nope([mail]))');
    await p.getByLabel('For user (id or userName)').fill('lin@contoso.com');
    await p.getByRole('button', { name: 'Evaluate' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Unknown function "Nope"/);
    assert.match(await main(), /\^ position 23/);
    await p.getByRole('textbox', { name: /^Expression/ }).fill('Join(" / ", [jobTitle], [userPrincipalName])');
    await p.getByRole('button', { name: 'Evaluate' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /For lin@contoso\.com: "Analyst \/ lin@contoso\.com"/);

    // The mapping editor: a refused edit keeps the whole text and says where; a saved one shows in the table.
    await p.getByText('Edit the mappings').click();
    const editor = p.getByLabel(/Mappings, as in a mapping file/);
    const broken = JSON.stringify({ users: [{ target: 'userName', source: { type: 'direct', attribute: 'userPrincipalName' }, match: 1 }, { target: 'title', source: { type: 'expression', expression: 'Left([jobTitle], ' } }] }, null, 2);
    await editor.fill(broken);
    await p.getByRole('button', { name: 'Save mappings' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /users\[1\]/);
    assert.equal(await p.getByLabel(/Mappings, as in a mapping file/).inputValue(), broken, 'what was typed, all of it');
    const fixed = JSON.stringify({ users: [{ target: 'userName', source: { type: 'direct', attribute: 'userPrincipalName' }, match: 1 }, { target: 'title', source: { type: 'expression', expression: 'Join(" ", "Team", [jobTitle])' } }] });
    await p.getByLabel(/Mappings, as in a mapping file/).fill(fixed);
    await p.getByRole('button', { name: 'Save mappings' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Mappings saved/);
    assert.match(await main(), /title\tJoin\(" ", "Team", \[jobTitle\]\)\talways/);

    // Row by row, as Entra's "Edit attribute": add a mapping, change its type and source, see a
    // refusal inside that row's form with what was typed, delete it.
    const users = () => p.locator('table', { has: p.locator('caption', { hasText: 'Users' }) });
    await p.locator('summary', { hasText: 'Add a user mapping' }).click();
    const adding = p.locator('details', { has: p.locator('summary', { hasText: 'Add a user mapping' }) });
    await adding.getByLabel('Source attribute, constant value or expression').fill('displayName');
    await adding.getByLabel('Target attribute').fill('displayName');
    await adding.getByRole('button', { name: 'Add mapping' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Mappings saved/);
    assert.match(await users().innerText(), /displayName\t\[displayName\]\talways/);
    const row = () => users().locator('details', { has: p.locator('summary', { hasText: 'Edit displayName' }) });
    await row().locator('summary').click();
    await row().getByLabel('Mapping type').selectOption('expression');
    await row().getByLabel('Source attribute, constant value or expression').fill('Nope([displayName])');
    await row().getByRole('button', { name: 'Save' }).click();
    await p.waitForLoadState();
    assert.match(await row().innerText(), /Nope/, 'the refusal is inside the row\'s form');
    assert.equal(await row().getByLabel('Source attribute, constant value or expression').inputValue(), 'Nope([displayName])', 'with what was typed');
    assert.equal(await row().getByLabel('Mapping type').inputValue(), 'expression');
    await row().getByLabel('Source attribute, constant value or expression').fill('ToUpper([displayName])');
    await row().getByLabel('Apply this mapping').selectOption('creation');
    await row().getByRole('button', { name: 'Save' }).click();
    await p.waitForLoadState();
    assert.match(await users().innerText(), /displayName\tToUpper\(\[displayName\]\)\ton creation/);
    await row().locator('summary').click();
    await shot('mapping-row', users());
    const saved = (await adminApi(() => a, () => orgA.token)('GET', `/provisioning/jobs/${jobId()}`)).body.mappings.users as { target: string; apply: string; source: { expression?: string } }[];
    assert.deepEqual(saved.find((m) => m.target === 'displayName'), { target: 'displayName', source: { type: 'expression', expression: 'ToUpper([displayName])' }, apply: 'creation' });
    await users().getByRole('button', { name: 'Delete displayName' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Mappings saved/);
    assert.doesNotMatch(await users().innerText(), /displayName\t/);

    // Scoping filters, a clause at a time: a refused clause stays in its form; an added one shows in words and in the job; deleting the last leaves none.
    await p.locator('summary', { hasText: 'Add a scoping clause' }).click();
    await p.getByLabel(/^Source attribute \(as the engine reads a user/).fill('department');
    await p.getByLabel('Operator').selectOption('REGEX MATCH');
    await p.getByLabel(/^Value/).fill('^(Sales|R&D)$');
    await p.getByRole('button', { name: 'Add clause' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Filter 1\s*department REGEX MATCH "\^\(Sales\|R&D\)\$"/);
    const scoped = (await adminApi(() => a, () => orgA.token)('GET', `/provisioning/jobs/${jobId()}`)).body.scopingFilters;
    assert.deepEqual(scoped, [{ clauses: [{ attribute: 'department', operator: 'REGEX MATCH', value: '^(Sales|R&D)$' }] }]);
    await p.getByRole('button', { name: /^Delete department REGEX MATCH/ }).click();
    await p.waitForLoadState();
    assert.match(await main(), /No scoping filter: every user of the job's divisions is provisioned/);
    assert.equal((await adminApi(() => a, () => orgA.token)('GET', `/provisioning/jobs/${jobId()}`)).body.scopingFilters, undefined);

    await p.getByRole('button', { name: 'Go live' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Live: writes are made on the target/);
    a.services.jobRunner.start();
    await p.getByRole('button', { name: 'Start provisioning' }).click();
    await p.waitForLoadState();
    assert.match(await main(), /Provisioning started/);
    const inB = async () => (await call(b, { path: `/Users?filter=${encodeURIComponent('userName eq "lin@contoso.com"')}`, token: orgB.token })).body.Resources?.[0];
    for (let i = 0; i < 50 && !(await inB()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await inB())?.title, 'Team Analyst', 'the saved mapping applies');
    await call(a, { method: 'PATCH', path: `/Users/${made.body.id}`, token: orgA.token, body: patchOp({ op: 'replace', path: 'title', value: 'Lead' }) });
    for (let i = 0; i < 50 && (await inB())?.title !== 'Team Lead'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await inB())?.title, 'Team Lead');
    await p.reload();
    assert.match(await main(), /running/);
    await shot('status', p.locator('main table.profile'));
    assert.match(await main(), /Provisioning log[\s\S]*lin@contoso\.com/);
  });
});
