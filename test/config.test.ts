import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, configFromEnv, DEFAULTS } from '../src/config.ts';

test('defaults', () => {
  const c = configFromEnv({});
  assert.equal(c.port, DEFAULTS.port);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.publicUrl, 'http://127.0.0.1:8080');
  assert.equal(c.tokenTtlSeconds, 86400);
  assert.ok(Object.isFrozen(c));
});

test('reads and validates the environment', () => {
  const c = configFromEnv({ PORT: '9000', HOST: '0.0.0.0', SCIMITAR_PUBLIC_URL: 'https://scim.example.com/', SCIMITAR_TOKEN_TTL: '3600', SCIMITAR_DB: '/tmp/x.db' });
  assert.deepEqual([c.port, c.publicUrl, c.tokenTtlSeconds, c.dbPath], [9000, 'https://scim.example.com', 3600, '/tmp/x.db']);
  assert.equal(configFromEnv({ HOST: '0.0.0.0', PORT: '9000' }).publicUrl, 'http://localhost:9000', 'no 0.0.0.0 in the printed URLs');
  assert.equal(configFromEnv({ SCIMITAR_REQUEST_LOG_DAYS: '0' }).requestLogDays, 0, '0 turns the request log off');
  const bad: Record<string, string>[] = [
    { PORT: 'eighty' },
    { SCIMITAR_TOKEN_TTL: '10' },
    { SCIMITAR_UNKNOWN: '1' },
    { SCIMITAR_BOOTSTRAP_CLIENT_ID: 'id' },
    { SCIMITAR_BOOTSTRAP_CLIENT_ID: 'id', SCIMITAR_BOOTSTRAP_CLIENT_SECRET: 'short' },
    { SCIMITAR_PUBLIC_URL: 'ftp://x' },
  ];
  for (const env of bad) assert.throws(() => configFromEnv(env), ConfigError, JSON.stringify(env));
});

test('the variables the tests and the CLI use do not trip the unknown-key check', () => {
  assert.doesNotThrow(() => configFromEnv({ SCIMITAR_TOKEN: 'x', TEST_REQUIRE_POSTGRES: '1', TEST_DATABASE_URL: 'postgres://x' }));
});
