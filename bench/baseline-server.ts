// The bare-Fastify baseline: the same HTTP stack with no work behind it.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/json', async () => ({ hello: 'world' }));
app.post('/echo', async (request) => request.body);
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`ready ${address}\n`);
