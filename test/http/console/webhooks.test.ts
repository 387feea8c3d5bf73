// The console's Webhooks page: a new webhook shows its signing secret once (POST-redirect-GET),
// a test event reaches the receiver signed with it and lands in the delivery log, a refused
// URL comes back on the form with what was typed, disable and delete do what they say.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { consoleAdmin, createOrg, startHarness, type Harness, type Org } from '../../helpers/harness.ts';

let h: Harness;
let org: Org;
let cookie = '';
const got: { headers: IncomingHttpHeaders; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    got.push({ headers: req.headers, body });
    res.writeHead(200).end('thanks');
  });
});
let receiver = '';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

before(async () => {
  h = await startHarness({ webhookAllowHttpLoopback: true });
  org = await createOrg(h, 'genesys', 'Webhook Console Org');
  cookie = await consoleAdmin(h.app, org.organization.id, 'root@hooks.test');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  receiver = `http://127.0.0.1:${(server.address() as { port: number }).port}/receive`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await h.close();
});

const csrf = async () => /name="_csrf" value="([^"]+)"/.exec((await h.app.inject({ url: '/console/webhooks', headers: { cookie } })).body)![1];
const post = async (url: string, fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams({ _csrf: await csrf() });
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return h.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: body.toString() });
};
const follow = async (res: { headers: Record<string, unknown> }, extraCookie = '') => (await h.app.inject({ url: String(res.headers.location), headers: { cookie: `${cookie}${extraCookie}` } })).body;

test('empty state, then a webhook whose secret is shown once and signs a test event', async () => {
  assert.match((await h.app.inject({ url: '/console/webhooks', headers: { cookie } })).body, /No webhooks yet/);
  const made = await post('/console/webhooks', { _form: 'webhook', url: receiver, description: 'Receiver', eventTypes: ['user.created', 'user.deleted'] });
  assert.equal(made.statusCode, 303);
  assert.equal(made.headers.location, '/console/reveal');
  const reveal = [made.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('scimitar_reveal='))!.split(';')[0];
  const shown = await follow(made, `; ${reveal}`);
  const secret = /id="signing-secret" class="secret">(whsec_[^<]+)</.exec(shown)?.[1];
  assert.ok(secret, shown);
  assert.ok(!(await h.app.inject({ url: '/console/reveal', headers: { cookie } })).body.includes(secret!), 'shown once');

  const list = (await h.app.inject({ url: '/console/webhooks', headers: { cookie } })).body;
  assert.match(list, /user\.created, user\.deleted/);
  assert.match(list, /badge ok">delivering/);
  const id = /href="\/console\/webhooks\/([0-9a-f-]{36})"/.exec(list)![1];

  const tested = await post(`/console/webhooks/${id}/test`, { _form: 'test' });
  assert.match(await follow(tested), /Test event sent/);
  assert.equal(got.length, 1);
  const payload = new Webhook(secret!).verify(got[0].body, got[0].headers as Record<string, string>) as { type: string };
  assert.equal(payload.type, 'webhook.test');
  const detail = (await h.app.inject({ url: `/console/webhooks/${id}`, headers: { cookie } })).body;
  assert.match(detail, /webhook\.test/);
  assert.match(detail, /badge ok">200/);

  assert.match(await follow(await post(`/console/webhooks/${id}/state`, { enabled: 'false' })), /badge refused">disabled/);
  assert.match(await follow(await post(`/console/webhooks/${id}/delete`, {})), /Webhook deleted/);
  assert.equal((await h.app.inject({ url: `/console/webhooks/${id}`, headers: { cookie } })).statusCode, 404);
});

test('a refused URL comes back inside the form with what was typed', async () => {
  const refused = await post('/console/webhooks', { _form: 'webhook', url: 'http://example.com/hook', description: 'typed by hand' });
  const page = await follow(refused);
  const formHtml = /<form method="post" action="\/console\/webhooks">[\s\S]*?<\/form>/.exec(page)![0];
  assert.match(formHtml, /role="alert">[^<]*https/);
  assert.match(formHtml, /value="http:\/\/example\.com\/hook"/);
  assert.match(formHtml, /value="typed by hand"/);
});

test('a Security Event Token subscription has no secret to show: the page names its issuer, keys and, when polled, where to poll', async () => {
  const polled = await post('/console/webhooks', { _form: 'webhook', kind: 'set-poll', url: '', description: 'Polled SETs' });
  assert.equal(polled.statusCode, 303, polled.body);
  assert.match(String(polled.headers.location), /^\/console\/webhooks\?ok=set-subscribed$/);
  const list = await follow(polled);
  assert.match(list, /Subscribed: Security Event Tokens are signed/);
  assert.match(list, /Polled by the receiver/);
  const id = [...list.matchAll(/href="\/console\/webhooks\/([0-9a-f-]{36})">Polled by the receiver/g)][0][1];
  const page = (await h.app.inject({ url: `/console/webhooks/${id}`, headers: { cookie } })).body;
  assert.match(page, new RegExp(`/api/v2/events/issuers/${org.organization.id}/jwks`));
  assert.match(page, new RegExp(`POST https://scim\\.example\\.test/api/v2/webhooks/${id}/poll`));
  assert.ok(!page.includes('Rotate secret') && !page.includes('Send a test event'), 'no secret to rotate, no URL to test');

  // A URL with polling is refused inside the form, with what was typed.
  const refused = await post('/console/webhooks', { _form: 'webhook', kind: 'set-poll', url: 'http://127.0.0.1:9/x' });
  const back = await follow(refused);
  assert.match(back, /a polled subscription has no url/);
  assert.match(back, /<option value="set-poll" selected>/);
});
