// `scimitar expr`, `scimitar test-connection`, `scimitar sync`: the identity provider's side.
import type { Command } from 'commander';
import { parseJsonText } from '../provision/input-file.ts';
import { compileExpression, evaluateForTarget } from '../provision/expression/evaluate.ts';
import { ExpressionError } from '../provision/expression/ast.ts';
import { SKIP } from '../provision/expression/values.ts';
import { errorDetail } from '../provision/scim-client.ts';
import { CliError } from './backend.ts';
import { provisionRunCommands } from './provision-run.ts';
import { client, connection, type Conn } from './connection.ts';

export function provisionCommands(program: Command): void {
  program
    .command('expr <expression>')
    .description('evaluate an attribute-mapping expression; prints the value as JSON')
    .option('--source <json>', 'the source object, as JSON', '{}')
    .action((expression: string, opts: { source: string }) => {
      try {
        const v = evaluateForTarget(compileExpression(expression), parseJsonText(opts.source, '--source') as Record<string, unknown>);
        process.stdout.write(`${v === SKIP ? '"<skipped: IgnoreFlowIfNullOrEmpty>"' : JSON.stringify(v)}\n`);
      } catch (e) {
        if (e instanceof ExpressionError || e instanceof SyntaxError) throw new CliError(e.message);
        throw e;
      }
    });

  connection(program.command('test-connection').description("do what Entra's Test Connection does, and say why it fails")).action(async (opts: Conn) => {
    const c = client(opts, true);
    let r;
    try {
      r = await c.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${crypto.randomUUID()}"`)}`);
    } catch (e) {
      throw new CliError(`cannot reach ${opts.url}: ${(e as Error).message}`);
    }
    if (r.status === 401) throw new CliError('401: the token is not accepted (wrong, expired or revoked secret token)');
    if (r.status === 403) throw new CliError(`403: the token lacks permission to read users (${errorDetail(r)})`);
    if (r.status === 404) throw new CliError(`404: no SCIM Users endpoint at ${opts.url} (check the tenant URL; it should end in /scim/v2)`);
    if (r.status !== 200) throw new CliError(`unexpected ${errorDetail(r)}`);
    if (r.body?.totalResults !== 0 || !Array.isArray(r.body?.Resources)) throw new CliError(`200, but not an empty ListResponse: ${JSON.stringify(r.body).slice(0, 200)}`);
    process.stdout.write(`OK: ${opts.url} answered the test query with an empty list, as Entra expects\n`);
  });

  provisionRunCommands(program);
}
