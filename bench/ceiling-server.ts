/**
 * The `scim` benchmark's reference ceiling: plain node:http answering every request at once with
 * a fixed SCIM list response of a given size, no routing, no database, no work. What autocannon,
 * the kernel and Node's HTTP layer allow on this machine with the same load: no Node server can
 * answer faster. Usage: `tsx bench/ceiling-server.ts <port> <body bytes>`; prints `ready`.
 */
import { createServer } from 'node:http';

const [portArg, sizeArg] = process.argv.slice(2);
const head =
  '{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"pad":"';
const tail = '"}]}';
const body = Buffer.from(
  `${head}${'x'.repeat(Math.max(0, Number(sizeArg ?? 900) - head.length - tail.length))}${tail}`,
);

createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'application/scim+json; charset=utf-8',
    'content-length': body.length,
  });
  response.end(body);
}).listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
