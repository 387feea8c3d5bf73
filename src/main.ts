// `npm start`: the service on the embedded SQLite store, configured from the environment.
import { ConfigError, configFromEnv } from './config.ts';
import { serve } from './serve.ts';

try {
  await serve(configFromEnv(process.env));
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`scimitar: ${e.message}\n`);
  process.exit(2);
}
