// How the CLI reaches a SCIM server: the options (`--url`, a token or client credentials) and
// the client they make. `test-connection`, `sync` and `provision run` share them.
import type { Command } from 'commander';
import { ScimClient } from '../provision/scim-client.ts';
import { CliError } from './backend.ts';

export interface Conn {
  url: string;
  token?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
}

export function client(o: Conn, dryRun: boolean): ScimClient {
  if (!o.token && !(o.clientId && o.clientSecret)) throw new CliError('give --token, or --client-id and --client-secret (with --token-url)');
  const tokenUrl = o.tokenUrl ?? `${new URL(o.url).origin}/oauth/token`;
  return new ScimClient({ baseUrl: o.url, token: o.token, tokenUrl, clientId: o.clientId, clientSecret: o.clientSecret, dryRun });
}

export const connection = (c: Command) =>
  c
    .requiredOption('--url <tenant url>', 'SCIM base URL, e.g. https://host/api/v2/scim/v2')
    .option('--token <token>', 'bearer token')
    .option('--client-id <id>')
    .option('--client-secret <secret>')
    .option('--token-url <url>', 'OAuth token endpoint (default: <origin of --url>/oauth/token)');
