// `npm start`: the service on the embedded SQLite store. Reads the environment (only here),
// bootstraps the first organization on first run, serves until SIGINT/SIGTERM.
import { bootstrap } from './directory/organizations.ts';
import { ConfigError, configFromEnv, type Config } from './config.ts';
import { buildApp, SCIM_BASE_PATHS } from './http/app.ts';
import { createServices } from './services.ts';
import { openSqliteStore } from './store/sqlite/sqlite-store.ts';

function banner(config: Config, result: Awaited<ReturnType<typeof bootstrap>>): string {
  const tenant = `${config.publicUrl}${SCIM_BASE_PATHS[0]}`;
  const lines = [
    '',
    `Scimitar is serving organization "${result.organization.name}" (${result.organization.scimProfile} profile).`,
    `  Tenant URL : ${tenant}`,
    `  Token URL  : ${config.publicUrl}/oauth/token`,
  ];
  if (result.created) {
    const c = result.created;
    lines.push(
      `  Client id  : ${c.clientId}`,
      `  Secret     : ${c.clientSecret}`,
      '  (The secret is shown this once and stored only as a hash.)',
      '',
      'Get a token (paste it into Entra ID as the "Secret Token"):',
      `  curl -s -u '${c.clientId}:${c.clientSecret}' -d grant_type=client_credentials ${config.publicUrl}/oauth/token`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = configFromEnv(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`scimitar: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const store = openSqliteStore({ path: config.dbPath });
  const result = await bootstrap(store, config.bootstrapClientId, config.bootstrapClientSecret);
  const services = createServices(store, config);
  const app = await buildApp(services, { publicUrl: config.publicUrl, bodyLimitBytes: config.bodyLimitBytes, logLevel: config.logLevel, rateLimitPerMinute: config.rateLimitPerMinute });
  await app.listen({ port: config.port, host: config.host });
  process.stdout.write(banner(config, result));

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close(); // stops accepting, lets in-flight requests finish
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
