// `scimitar validate <SCIM base URL>`: Microsoft's Entra gallery validation replayed offline
// (src/provision/validate.ts). A table by default, --json, --junit FILE for CI; the exit
// status is 1 when Microsoft would fail the run.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { readJsonFile } from '../provision/input-file.ts';
import { loadMappings, MappingError } from '../provision/mappings.ts';
import { validate, type TestResult, type ValidationReport } from '../provision/validate.ts';
import { CliError } from './backend.ts';
import { print } from './output.ts';

interface ValidateCliOptions {
  token?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  clientAssertion?: string;
  mapping?: string;
  values?: string;
  usersOnly?: boolean;
  group?: string;
  verbose?: boolean;
  json?: boolean;
  junit?: string;
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JUnit XML: one testcase per test; a failure (mandatory) or a skipped element, with the reason. */
export function junit(report: ValidationReport): string {
  const cases = report.results.map((r) => {
    const body = r.outcome === 'FAILED' ? `<failure message="${xml(r.reason)}">${xml(r.evidence ?? '')}</failure>`
      : r.outcome === 'SKIPPED' ? `<skipped message="${xml(r.reason)}"/>`
      : r.outcome === 'WARNING' ? `<system-out>${xml(`WARNING (optional): ${r.reason}`)}</system-out>` : '';
    return `  <testcase classname="scimitar.validate" name="${xml(r.name)}">${body}</testcase>`;
  });
  const failures = report.results.filter((r) => r.outcome === 'FAILED').length;
  const skipped = report.results.filter((r) => r.outcome === 'SKIPPED').length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="Entra gallery validation" tests="${report.results.length}" failures="${failures}" skipped="${skipped}">\n${cases.join('\n')}\n</testsuite>\n`;
}

export function validateCommand(program: Command): void {
  program
    .command('validate <url>')
    .description('run Microsoft\'s Entra gallery validation (25 tests) against a SCIM base URL, offline; exit status 1 when it would fail')
    .option('--token <token>', 'a bearer token (a static Secret Token: Validate_Credentials_Test is skipped)')
    .option('--token-url <url>', 'OAuth token endpoint (default: <origin>/oauth/token)')
    .option('--client-id <id>', 'OAuth client credentials: Entra fetches its own tokens (runs Validate_Credentials_Test)')
    .option('--client-secret <secret>')
    .option('--client-assertion <jwt>', 'a JWT the server accepts as client_assertion (RFC 7523): runs Federated_Identity_Test')
    .option('--mapping <file.json>', 'the app\'s attribute mappings, in the CLI\'s mapping format (default: Entra\'s default SCIM mappings)')
    .option('--values <file.json>', 'source attribute values to use, e.g. {"telephoneNumber": "+13175550100"}')
    .option('--users-only', 'the server never creates groups over SCIM (Genesys): group lifecycle tests are skipped')
    .option('--group <id>', 'an existing group for the member tests (with --users-only)')
    .option('--verbose', 'show the request and answer behind each failure')
    .option('--json', 'the report as JSON')
    .option('--junit <file>', 'also write the report as JUnit XML')
    .action(async (url: string, o: ValidateCliOptions) => {
      if (!o.token && !(o.clientId && o.clientSecret) && !o.clientAssertion) throw new CliError('give --token, --client-id and --client-secret, or --client-assertion');
      let mappings;
      try {
        mappings = o.mapping ? loadMappings(o.mapping) : undefined;
      } catch (e) {
        if (e instanceof MappingError) throw new CliError(e.message);
        throw e;
      }
      const values = o.values ? readJsonFile(o.values) : undefined;
      if (values !== undefined && (typeof values !== 'object' || values === null || Array.isArray(values) || Object.values(values).some((v) => typeof v !== 'string'))) {
        throw new CliError(`${o.values}: expected an object of source attribute names to string values`);
      }
      const tokenUrl = o.tokenUrl ?? `${new URL(url).origin}/oauth/token`;
      // Ctrl-C stops before the next test; what the run made is still deleted.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let report: ValidationReport;
      try {
        report = await validate({
          baseUrl: url, token: o.token, tokenUrl, clientId: o.clientId, clientSecret: o.clientSecret, clientAssertion: o.clientAssertion,
          ...(mappings ? { mappings } : {}), ...(values ? { values: values as Record<string, string> } : {}), usersOnly: o.usersOnly === true, groupId: o.group, signal: stop.signal,
          onProgress: (r: TestResult) => {
            if (!o.json) process.stderr.write(`${r.outcome.padEnd(7)} ${r.name}\n`);
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (o.junit) writeFileSync(o.junit, junit(report));
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        print(report.results.map((r) => ({ test: r.name, category: r.category, result: r.outcome, reason: r.reason })), ['test', 'category', 'result', 'reason'], false);
        if (o.verbose) for (const r of report.results.filter((x) => x.evidence)) process.stdout.write(`\n${r.name}:\n${r.evidence}\n`);
        if (report.leftBehind.length > 0) process.stdout.write(`\nCould not delete: ${report.leftBehind.join(', ')}\n`);
        process.stdout.write(`\n${report.verdict}\n`);
      }
      if (!report.passed) process.exitCode = 1;
    });
}
