// The container and service files: no container engine runs on the test machine, so this
// checks what can be checked without one. The Dockerfile installs with the command .ci/run
// uses, copies only files that exist, runs as a non-root user with a healthcheck and a data
// volume, and starts the compiled entry point; every setting the compose file and the
// systemd unit pass is one the configuration knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { configFromEnv } from '../src/config.ts';
import { startArgs } from '../scripts/start-command.ts';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const instructions = dockerfile.split('\n').filter((l) => l && !l.startsWith('#')).join('\n').replace(/\\\n\s*/g, ' ').split('\n');

test('the Dockerfile installs as CI does and ships a non-root, healthchecked image', () => {
  const ciInstall = /npm ci [^\n]*/.exec(readFileSync('.ci/run', 'utf8'))![0];
  assert.ok(instructions.includes(`RUN ${ciInstall}`), `the image installs with "${ciInstall}"`);
  assert.equal(instructions.filter((l) => l.startsWith('FROM ')).length, 2, 'multi-stage');
  for (const l of instructions.filter((i) => i.startsWith('COPY ') && !i.includes('--from'))) {
    for (const src of l.split(/\s+/).slice(1, -1)) assert.ok(existsSync(src), `${l}: ${src} does not exist`);
  }
  const runtime = instructions.slice(instructions.lastIndexOf(instructions.filter((l) => l.startsWith('FROM ')).pop()!));
  assert.ok(runtime.some((l) => /^USER (?!root)\w+/.test(l)), 'runs as a non-root user');
  assert.ok(runtime.some((l) => l.startsWith('HEALTHCHECK') && l.includes('/healthz')), 'healthcheck');
  assert.ok(runtime.some((l) => l.startsWith('VOLUME') && l.includes('/data')), 'data volume');
  // What the compiled server reads at run time besides dist/: the console's assets.
  assert.ok(runtime.some((l) => l.startsWith('COPY --from=build /app/assets ')), 'the console assets are in the image');
  const cmd = runtime.find((l) => l.startsWith('CMD '))!;
  assert.deepEqual(JSON.parse(cmd.slice(4)), ['node', ...startArgs()], 'the image runs what npm start runs');
  // The runtime environment is a valid configuration.
  const env = Object.fromEntries(runtime.filter((l) => l.startsWith('ENV ')).flatMap((l) => l.slice(4).trim().split(/\s+/).map((kv) => kv.split('='))));
  assert.equal(env.HOST, '0.0.0.0');
  assert.doesNotThrow(() => configFromEnv(env));
});

test('the compose file and the systemd unit set only settings the configuration knows', () => {
  const compose = readFileSync('deploy/compose.yaml', 'utf8');
  const nodeEnv = compose.split('environment: &env')[1].split('ports:')[0];
  const keys = [...nodeEnv.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
  assert.ok(keys.includes('DATABASE_URL') && keys.includes('REDIS_URL'), keys.join(','));
  const documented = readFileSync('docs/configuration.md', 'utf8');
  for (const k of keys) assert.ok(documented.includes(`| \`${k}\` |`), `${k} is not a documented setting`);
  const unit = readFileSync('deploy/scimitar.service', 'utf8');
  for (const [, k] of unit.matchAll(/^Environment=([A-Z_]+)=/gm)) assert.ok(k === 'NODE_ENV' || documented.includes(`| \`${k}\` |`), `${k} in the unit`);
  const start = startArgs();
  assert.ok(unit.split('\n').includes(`ExecStart=/usr/bin/node ${[...start.slice(0, -1), `/opt/scimitar/${start.at(-1)}`].join(' ')}`), 'the unit runs what npm start runs');
  assert.match(unit, /^User=scimitar$/m);
});
