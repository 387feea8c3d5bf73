// Where webhooks may go: https to public addresses; loopback only when the operator allows
// it; private, link-local, reserved and IPv4-mapped forms of them refused (SSRF), also when a
// name resolves to them at connection time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTargetUrl, guardedLookup, refusedAddress } from '../../../src/directory/webhooks/target.ts';
import { ScimError } from '../../../src/scim/index.ts';

const closed = { allowHttpLoopback: false, allowPrivate: false };
const loopbackOk = { allowHttpLoopback: true, allowPrivate: false };

test('URLs: https anywhere public; http only to loopback and only when allowed; no credentials, no other schemes', () => {
  assert.equal(checkTargetUrl('https://hooks.example.com/scim', closed).href, 'https://hooks.example.com/scim');
  for (const bad of ['http://hooks.example.com/', 'ftp://x.example/', 'https://user:pw@hooks.example.com/', 'not a url', '', 'https://10.1.2.3/', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:192.168.0.1]/', 'https://[fe80::1]/', 'https://127.0.0.1/', 'http://localhost:9/']) {
    assert.throws(() => checkTargetUrl(bad, closed), ScimError, bad);
  }
  assert.equal(checkTargetUrl('http://127.0.0.1:9/hook', loopbackOk).port, '9');
  assert.equal(checkTargetUrl('http://localhost:9/hook', loopbackOk).hostname, 'localhost');
  assert.throws(() => checkTargetUrl('http://10.0.0.1/', loopbackOk), ScimError, 'loopback permission is not a private one');
  assert.throws(() => checkTargetUrl('x'.repeat(3000), closed), ScimError);
});

test('addresses: loopback, private, link-local, shared, multicast and mapped forms refused; public ones allowed', () => {
  for (const a of ['127.0.0.1', '::1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::ffff:10.0.0.1', 'fc00::1', 'fe80::1', '::']) {
    assert.ok(refusedAddress(a, closed, 'https:'), a);
  }
  for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8']) assert.equal(refusedAddress(a, closed, 'https:'), undefined, a);
  assert.equal(refusedAddress('127.0.0.1', loopbackOk, 'http:'), undefined);
  assert.ok(refusedAddress('93.184.216.34', loopbackOk, 'http:'), 'plain http leaves this machine never');
  assert.equal(refusedAddress('10.0.0.1', { allowHttpLoopback: false, allowPrivate: true }, 'https:'), undefined);
});

test('a name that resolves to a refused address is refused at connection time', async () => {
  const lookup = guardedLookup(closed, 'https:');
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
  assert.match(String(err?.message), /refused: localhost resolves to/);
  const ok = await new Promise<unknown>((resolve) => guardedLookup(loopbackOk, 'http:')('localhost', {}, (e, address) => resolve(e ?? address)));
  assert.match(String(ok), /^(127\.0\.0\.1|::1)$/);
});
