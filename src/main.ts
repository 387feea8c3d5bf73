// `npm start`: the service on the embedded SQLite store, configured from the environment.
import { ConfigError, configFromEnv } from './config.ts';
import { serve } from './serve.ts';

// A start that fails says why in one line and exits non-zero: 2 for configuration, 1 for
// everything else (store cannot be opened, port in use, database unreachable).
try {
  await serve(configFromEnv(process.env));
} catch (e) {
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  process.stderr.write(`scimitar: ${e instanceof ConfigError ? '' : 'cannot start: '}${message}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
}
