// A webhook or SET receiver on loopback: answers with `answers` in turn (then `status`), and
// keeps what it got.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received { headers: IncomingHttpHeaders; body: string }

export async function receiver(status = 204): Promise<{ url: string; got: Received[]; answers: number[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(answers.shift() ?? status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, got, answers, close: () => new Promise((r) => server.close(() => r())) };
}
