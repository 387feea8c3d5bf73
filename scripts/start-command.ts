// What `npm start` runs, as arguments to node (its flags, then the entry): the bench and the
// multi-node tests start the server exactly so, and the deploy test holds the Dockerfile and
// the systemd unit to it.
import { readFileSync } from 'node:fs';

export function startArgs(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = pkg.scripts.start.trim().split(/\s+/);
  if (node !== 'node' || args.at(-1) !== 'dist/main.js') throw new Error(`npm start should be "node [flags] dist/main.js", not ${JSON.stringify(pkg.scripts.start)}`);
  return args;
}
