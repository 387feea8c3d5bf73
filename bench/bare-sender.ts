// The events bench's control (bench `--only events`): a webhook sender with nothing of
// Scimitar's in it, in a process of its own. It POSTs Standard Webhooks deliveries of the size
// Scimitar sends (a user.updated envelope, signed by the same library) to the bench's receiver
// at a given rate, one at a time over a kept-alive connection, in rounds every 20 ms as
// Scimitar's sender runs. What PATCHes lose beside it is what any sender of those deliveries
// would cost them on this machine: the part of the gap that is the delivery itself (client,
// receiver, loopback TCP), not Scimitar's reading of events and its bookkeeping.
//   node --import tsx bench/bare-sender.ts <receiver port> <deliveries per second>
// Prints the number sent when it gets SIGTERM.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Webhook } from 'standardwebhooks';

const [port, rate] = process.argv.slice(2).map(Number);
if (!port || !rate) throw new Error('usage: bare-sender.ts <receiver port> <deliveries per second>');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const signer = new Webhook(`whsec_${Buffer.from(randomUUID()).toString('base64')}`);

function post(sequence: number): Promise<void> {
  const id = randomUUID();
  const time = new Date();
  const body = JSON.stringify({
    type: 'user.updated', timestamp: time.toISOString(),
    data: { sequence, time: time.toISOString(), actor: { clientId: 'bench' }, resource: { type: 'User', id: randomUUID(), version: '"2"', divisionId: randomUUID() }, id, type: 'user.updated', attributes: ['title', 'emails'] },
  });
  const bytes = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = request(`http://127.0.0.1:${port}/hook`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(time.getTime() / 1000)), 'webhook-signature': signer.sign(id, time, body), 'user-agent': 'bare-sender', 'content-length': String(bytes.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

let sent = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
const started = performance.now();
while (!stopping) {
  const due = Math.floor(((performance.now() - started) / 1000) * rate);
  while (sent < due && !stopping) await post(++sent);
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`${sent}\n`);
process.exit(0);
