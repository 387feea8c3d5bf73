// Serving: open the store, bootstrap on first run, listen, shut down gracefully.
import { startBackgroundThread } from './directory/background/host.ts';
import { packageVersion } from './version.ts';
import { bootstrap, type BootstrapResult } from './directory/organizations.ts';
import type { Config } from './config.ts';
import { buildApp, SCIM_BASE_PATHS } from './http/app.ts';
import { createServices } from './services.ts';
import { openThrottleRedis, RedisThrottleLedgers } from './auth/throttle-ledger.ts';
import { openStore } from './store/open.ts';
import type { Server } from 'node:http';
import { serveMetrics } from './http/metrics.ts';

export function banner(config: Config, result: BootstrapResult, setupToken?: string): string {
  const tenant = `${config.publicUrl}${SCIM_BASE_PATHS[0]}`;
  const lines = [
    '',
    `Scimitar is serving organization "${result.organization.name}" (${result.organization.scimProfile} profile) from ${config.databaseUrl ? 'PostgreSQL' : config.dbPath}.`,
    `  Tenant URL : ${tenant}`,
    `  Token URL  : ${config.publicUrl}/oauth/token`,
  ];
  if (result.created && config.bootstrapClientSecret !== undefined) {
    // The operator chose the secret: never print it back.
    lines.push(`  Client id  : ${result.created.clientId}`, '  Secret     : the one set in SCIMITAR_BOOTSTRAP_CLIENT_SECRET');
  } else if (result.created) {
    const c = result.created;
    lines.push(
      `  Client id  : ${c.clientId}`,
      `  Secret     : ${c.clientSecret}`,
      '  (The secret is shown this once and stored only as a hash. This admin client holds every',
      '   permission; create a scoped SCIM client for Entra, see README "Administration".',
      '   Lost it? `npx scimitar recover-admin` on this store issues a new administrator secret.)',
      '',
      'Get a token with it (for Entra, use the console\'s Connect page: OAuth2 client credentials):',
      `  curl -s -u '${c.clientId}:${c.clientSecret}' -d grant_type=client_credentials ${config.publicUrl}/oauth/token`,
    );
  }
  if (setupToken) {
    lines.push(
      '',
      'Web console: create its first administrator with this one-time link (valid 24 h):',
      `  ${config.publicUrl}/console/setup?token=${setupToken}`,
      '  (A new link: `npx scimitar console setup-link`.) Then sign in at ' + `${config.publicUrl}/console`,
    );
  } else lines.push(`  Console    : ${config.publicUrl}/console`);
  return `${lines.join('\n')}\n`;
}

/** Where the server records its public URL in the store. */
export const PUBLIC_URL_KEY = 'server:public-url';

const AUDIT_SWEEP_MS = 60 * 60 * 1000;

export async function serve(config: Config): Promise<void> {
  const store = await openStore(config);
  // Login throttles shared by every node on REDIS_URL (the rate limit has its own connection).
  let warn = (message: string): void => {
    process.stderr.write(`${message}\n`);
  };
  const throttleRedis = config.redisUrl ? openThrottleRedis(config.redisUrl, (m) => warn(m)) : undefined;
  const services = createServices(store, { ...config, ...(throttleRedis ? { throttles: new RedisThrottleLedgers(throttleRedis, undefined, (m) => warn(m)) } : {}) });
  const app = await buildApp(services, { publicUrl: config.publicUrl, bodyLimitBytes: config.bodyLimitBytes, logLevel: config.logLevel, rateLimitPerMinute: config.rateLimitPerMinute, requestLog: config.requestLogDays > 0, redisUrl: config.redisUrl, trustProxy: config.trustProxy, version: packageVersion() });
  warn = (message) => app.log.warn(message);
  // Listen first, bootstrap second: a start that fails (port in use) creates nothing, so a
  // first-run secret is never created without being printed.
  let metricsServer: Server | undefined;
  try {
    await app.listen({ port: config.port, host: config.host });
    if (config.metricsPort) metricsServer = await serveMetrics(app, config.metricsHost, config.metricsPort);
  } catch (e) {
    await app.close().catch(() => undefined);
    throttleRedis?.disconnect();
    await store.close();
    throw e;
  }
  // The CLI's setup link names the address this server serves, not a default.
  await store.recordServerValue(PUBLIC_URL_KEY, config.publicUrl);
  const stopListening = await services.tokens.listen();
  const stopChanges = await services.changes.listen();
  const result = await bootstrap(store, config.bootstrapClientId, config.bootstrapClientSecret);
  // First run: the console's setup link, printed once beside the credentials.
  const setupToken = result.created ? await app.consoleAuth.createSetupToken(result.organization.id) : undefined;

  const sweep = async () => {
    const requests = await store.pruneRequests(new Date(Date.now() - config.requestLogDays * 86400_000).toISOString(), config.requestLogMaxRows);
    const tokens = await store.deleteExpiredTokens(Date.now());
    const deliveries = await store.deleteDeliveriesBefore(new Date(Date.now() - config.webhookLogDays * 86400_000).toISOString());
    const jobLogs = await store.deleteJobLogsBefore(new Date(Date.now() - config.provisioningLogDays * 86400_000).toISOString());
    let removed = 0;
    if (config.auditRetentionDays > 0) {
      const cutoff = new Date(Date.now() - config.auditRetentionDays * 86400_000).toISOString();
      removed = (await store.deleteAuditsBefore(cutoff)) + (await store.deleteRefusalsBefore(cutoff));
    }
    if (removed + tokens + requests + deliveries + jobLogs > 0) app.log.info({ auditsRemoved: removed, tokensRemoved: tokens, requestsRemoved: requests, deliveriesRemoved: deliveries, provisioningLogRemoved: jobLogs }, 'retention sweep');
    await app.metrics.refresh();
  };
  await sweep();
  const timer = setInterval(() => void sweep().catch((err) => app.log.error({ err }, 'retention sweep failed')), AUDIT_SWEEP_MS);
  timer.unref();
  // Every node sends webhooks and writes its request log from a thread of its own
  // (background/thread.ts); each subscription is leased to one node at a time.
  // Not awaited: the signal handlers below are in place at once (a SIGTERM while the thread
  // loads would otherwise end the process without its shutdown). Until it runs, the request
  // log is written here.
  const background = startBackgroundThread({
    store: { dbPath: config.dbPath, databaseUrl: config.databaseUrl },
    policy: { allowHttpLoopback: config.webhookAllowHttpLoopback, allowPrivate: config.webhookAllowPrivate },
    publicUrl: config.publicUrl, eventRetentionDays: config.eventRetentionDays,
  }, services.changes, (err) => app.log.error({ err }, 'background thread failed'), { requestsReturned: (batch) => app.requestLog.takeBack(batch) });
  background.then((thread) => app.requestLog.writeThrough(thread), (err: unknown) => app.log.error({ err }, 'background thread did not start'));
  services.jobRunner.start((err) => app.log.error({ err }, 'provisioning job runner failed'));

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    clearInterval(timer);
    app.log.info({ signal }, 'shutting down');
    metricsServer?.close();
    // The thread writes what it was handed before it ends; what is queued after that (the
    // requests that finish during app.close) is written here.
    app.requestLog.writeThrough(undefined);
    await (await background.catch(() => undefined))?.stop();
    await services.jobRunner.stop();
    await app.close(); // stops accepting, lets in-flight requests finish
    await stopListening();
    await stopChanges();
    throttleRedis?.disconnect();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // The banner last, once the signal handlers are in place: whoever waits for it (a supervisor,
  // a test) may stop the server at once and gets a clean shutdown, not the default SIGTERM
  // death it got when the first retention sweep was still running. One write, so that whoever
  // waits for the banner sees all of it.
  process.stdout.write(banner(config, result, setupToken) + (metricsServer ? `  Metrics    : http://${config.metricsHost}:${config.metricsPort}/metrics\n` : ''));
}
