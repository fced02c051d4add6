import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { ErrorBody } from '@qfleet/protocol';
import { AgentFailed, Conflict, Forbidden, InvalidInput, NotFound, StaleRevision } from './errors';

/** Every error leaves the API as `{statusCode, error, message, fields?}` (DESIGN.md Contract). */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    res.status(body.statusCode).json(body);
  }

  private toBody(e: unknown): ErrorBody {
    if (e instanceof InvalidInput) return { statusCode: 400, error: 'Bad Request', message: e.message, fields: e.fields };
    if (e instanceof Forbidden) return { statusCode: 403, error: 'Forbidden', message: e.message, fields: e.fields };
    if (e instanceof NotFound) return { statusCode: 404, error: 'Not Found', message: e.message };
    if (e instanceof Conflict) return { statusCode: 409, error: 'Conflict', message: e.message, ...(e.fields.length ? { fields: e.fields } : {}) };
    if (e instanceof StaleRevision) return { statusCode: 412, error: 'Precondition Failed', message: e.message, current: e.current };
    if (e instanceof AgentFailed) return { statusCode: 502, error: 'Bad Gateway', message: e.message };
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const r = e.getResponse();
      const message = typeof r === 'string' ? r : ((r as { message?: string | string[] }).message ?? e.message);
      return { statusCode: status, error: httpErrorName(status), message: Array.isArray(message) ? message.join('; ') : message };
    }
    // body-parser's errors carry their status (413 for an oversize body, 400 for bad JSON).
    const status = (e as { status?: number; type?: string })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (e as { type?: string }).type;
      const message =
        type === 'entity.too.large'
          ? 'request body is larger than the 1 MB limit'
          : type === 'entity.parse.failed'
            ? `request body is not valid JSON: ${(e as Error).message}`
            : (e as Error).message;
      return { statusCode: status, error: httpErrorName(status), message };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'internal error; see the controller log' };
  }
}

function httpErrorName(status: number): string {
  const name = HttpStatus[status];
  return name
    ? name
        .toLowerCase()
        .split('_')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(' ')
    : 'Error';
}
