import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import helmet from 'helmet';
import { AppModule } from './app.module';
import { loadSettings } from './settings/settings';
import { openAndMigrate } from './database/prisma.service';
import { RedisIoAdapter } from './scale-out/redis-io.adapter';
import { OpenApiDocument } from './api-docs.controller';
import { TokensService } from './auth/tokens.service';

/** Starts the controller: REST API under /api, socket.io, and the dashboard at /. */
export async function serve(): Promise<void> {
  const settings = loadSettings(process.env); // fail fast, before anything opens
  const logLevels = (['error', 'warn', 'log', 'debug', 'verbose'] as const).slice(
    0,
    ['error', 'warn', 'log', 'debug', 'verbose'].indexOf(settings.logLevel) + 1,
  );
  // Before anything logs: the database's lines come before Nest's app exists.
  Logger.overrideLogger([...logLevels]);
  const httpsOptions = settings.tls ? readTls(settings.tls) : undefined;
  const db = await openAndMigrate(settings);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(db), { bodyParser: false, logger: [...logLevels], abortOnError: false, httpsOptions });
  secureHeaders(app);
  // Contract: JSON bodies up to 1 MB; larger ones get a 413 with a message (the filter).
  app.useBodyParser('json', { limit: '1mb', type: ['application/json', 'application/merge-patch+json'] });
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  app.enableShutdownHooks();
  if (settings.redisUrl) {
    const io = new RedisIoAdapter(app);
    await io.connect(settings.redisUrl, settings.redisKey);
    app.useWebSocketAdapter(io);
    new Logger('controller').log(`socket.io events shared through Redis at ${new URL(settings.redisUrl).host}`);
  }

  const openapi = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('qfleet').setDescription('qmail fleet controller').setVersion('1').addBearerAuth().build(),
  );
  app.get(OpenApiDocument).document = openapi;
  if (settings.apiDocs) SwaggerModule.setup('api/docs', app, openapi, { jsonDocumentUrl: 'api/docs.json' });

  serveDashboard(app);
  await app.listen(settings.port, settings.host);
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : settings.port;
  const docs = settings.apiDocs ? 'docs /api/docs' : 'OpenAPI /api/openapi.json';
  // Printed whatever the log level: the one line a start must show, and last, the admin token.
  process.stdout.write(`qfleet-controller: listening on ${httpsOptions ? 'https' : 'http'}://localhost:${port} (dashboard /, API /api, ${docs})\n`);
  const token = app.get(TokensService).generatedAdminToken;
  if (token) process.stdout.write(framedToken(token));
}

/** The first start's admin token, framed, so that it stands out of whatever was printed before. */
export function framedToken(token: string): string {
  const lines = [
    'First start: an admin API token was generated. It is shown only this once:',
    '',
    `    ${token}`,
    '',
    'Sign in to the dashboard with it, or: export QFLEET_TOKEN=<the token>',
    'Set QFLEET_ADMIN_TOKEN to choose the admin token yourself.',
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return `\n${rule}\n${lines.map((l) => `| ${l.padEnd(width)} |`).join('\n')}\n${rule}\n\n`;
}

/**
 * Security headers on every answer, the dashboard's files included (helmet): a CSP that
 * allows only this origin's scripts, so an injected string cannot run or load code; no
 * framing (clickjacking); nosniff; no X-Powered-By. The dashboard's socket reaches the same
 * origin ('self' covers ws: and wss: to it). Not upgrade-insecure-requests: without TLS the
 * controller serves plain HTTP, and the browser would ask for https:// files it cannot get.
 */
function secureHeaders(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null, 'frame-ancestors': ["'none'"] } },
      frameguard: { action: 'deny' },
    }),
  );
}

/** The key and certificate, read before anything opens: a missing file stops the start naming it. */
function readTls(tls: { keyFile: string; certFile: string }): { key: Buffer; cert: Buffer } {
  const read = (file: string, setting: string) => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`bad setting: ${setting}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  return { key: read(tls.keyFile, 'QFLEET_TLS_KEY'), cert: read(tls.certFile, 'QFLEET_TLS_CERT') };
}

/** The dashboard's build is served from the controller; any other non-API path gets its index. */
function serveDashboard(app: NestExpressApplication): void {
  const candidates = [path.join(__dirname, '..', 'dashboard'), path.join(process.cwd(), 'dist', 'apps', 'dashboard')];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'index.html')));
  const logger = new Logger('dashboard');
  if (!dir) {
    logger.warn('no dashboard build found (run npm run build)');
    return;
  }
  const server = app.getHttpAdapter().getInstance() as express.Express;
  server.use(express.static(dir, { index: 'index.html' }));
  server.get(/^\/(?!api\/|api$|metrics|socket\.io).*/, (_req, res) => res.sendFile(path.join(dir, 'index.html')));
}
