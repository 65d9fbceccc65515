/**
 * The Prometheus endpoint on PrometheusMetricsHost:PrometheusMetricsPort: `GET /metrics` in
 * the text exposition format, over HTTPS when PrometheusMetricsCertFile/KeyFile are set
 * (with PrometheusMetricsClientAuth deciding on client certificates, as in Felix).
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { listen, type RunningServer } from '../health/health-server.ts';
import { EXPOSITION_CONTENT_TYPE, type Registry } from './registry.ts';

export interface MetricsServerOptions {
  host: string;
  port: number;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Felix's PrometheusMetricsClientAuth. */
  clientAuth?: 'RequireAndVerifyClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'NoClientCert' | '';
}

/** Starts the metrics server; resolves once it listens. */
export async function startMetricsServer(registry: Registry, options: MetricsServerOptions): Promise<RunningServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const body = registry.expose();
    res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (!options.certFile || !options.keyFile) return listen(createHttpServer(handler), options.host, options.port);
  const auth = options.clientAuth ?? 'NoClientCert';
  const server = createHttpsServer(
    {
      cert: readFileSync(options.certFile),
      key: readFileSync(options.keyFile),
      ...(options.caFile && { ca: readFileSync(options.caFile) }),
      requestCert: auth !== 'NoClientCert' && auth !== '',
      // Node can only verify, not merely request, a certificate; RequireAnyClientCert is checked below.
      rejectUnauthorized: auth === 'RequireAndVerifyClientCert',
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      if (auth === 'RequireAnyClientCert' && !socket.getPeerCertificate()?.raw) {
        res.writeHead(403).end('a client certificate is required\n');
        return;
      }
      handler(req, res);
    },
  );
  return listen(server, options.host, options.port);
}
