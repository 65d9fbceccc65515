/**
 * The health HTTP server on HealthHost:HealthPort: `GET /liveness` and `GET /readiness`
 * answer 200 with the component table when good (204 when there is no table) and 503 when
 * not, as Felix does.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthAggregator } from './health-aggregator.ts';

/** A running HTTP server (health or metrics). */
export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the health server; resolves once it listens. */
export async function startHealthServer(aggregator: HealthAggregator, host: string, port: number): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/liveness' && path !== '/readiness') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const summary = aggregator.summary();
    const good = path === '/liveness' ? summary.live : summary.ready;
    const status = !good ? 503 : summary.detail === '' ? 204 : 200;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(status === 204 ? undefined : summary.detail);
  });
  return listen(server, host, port);
}

/** Listens and wraps a server; shared with the metrics server. */
export async function listen(server: Server, host: string, port: number): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
