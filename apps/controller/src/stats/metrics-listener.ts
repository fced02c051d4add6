import http from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { MetricsService } from './metrics.service';

/**
 * `/metrics` without a token, on QFLEET_METRICS_PORT only (Prometheus scrapers rarely carry a
 * bearer token): a port of its own that a firewall or QFLEET_METRICS_HOST keeps to the
 * monitoring network, while the main port asks for a token. Serves nothing else.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('metrics');
  private server?: http.Server;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.settings.metricsPort === undefined) return;
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served on this port\n');
        return;
      }
      this.metrics.render().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot render metrics: ${e.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot serve metrics on ${this.settings.metricsHost}:${this.settings.metricsPort}: ${e.message}`)));
      server.listen(this.settings.metricsPort, this.settings.metricsHost, resolve);
    });
    this.server = server;
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.settings.metricsPort;
    this.logger.log(`metrics without a token on http://${this.settings.metricsHost}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
