// A webhook receiver in a process of its own (bench `--only events`): a receiver is another
// service, and one sharing the bench's process would wait on autocannon's event loop, adding its
// own delay to the sender's. It answers 204 to every POST and keeps, for each webhook-id's
// first arrival, the time since the event's change (the envelope's timestamp); the parent
// process asks for them over IPC.
import { createServer } from 'node:http';

const latencies: number[] = [];
const seen = new Set<string>();
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const id = String(req.headers['webhook-id']);
    if (!seen.has(id)) {
      seen.add(id);
      latencies.push(Date.now() - Date.parse((JSON.parse(body) as { timestamp: string }).timestamp));
    }
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'count') process.send!({ count: latencies.length });
  // The latencies so far, and from then on only newer arrivals.
  if (m.cmd === 'report') process.send!({ latencies: latencies.splice(0) });
  if (m.cmd === 'close') server.close(() => process.exit(0));
});
