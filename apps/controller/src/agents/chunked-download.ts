import type { Response } from 'express';
import { CHUNK_MAX_BYTES, ChunkResultSchema, type ChunkResult } from '@qfleet/protocol';
import type { AgentRequests } from './agent-requests.service';

/**
 * Streams a message or an attachment from an agent to an HTTP response, one chunk at a
 * time (DESIGN.md: large bodies never travel as one huge socket message).
 */
export async function streamChunks(
  agents: AgentRequests,
  hostId: string,
  event: string,
  request: Record<string, unknown>,
  res: Response,
  fallbackName: string,
): Promise<void> {
  let offset = 0;
  let first: ChunkResult | undefined;
  for (;;) {
    const chunk = await agents.ask(hostId, event, { ...request, offset, length: CHUNK_MAX_BYTES }, ChunkResultSchema);
    if (!first) {
      first = chunk;
      const name = (chunk.filename ?? fallbackName).replace(/[^\w.@+-]/g, '_');
      res.status(200);
      res.setHeader('Content-Type', chunk.contentType);
      res.setHeader('Content-Length', String(chunk.total));
      res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    }
    const data = Buffer.from(chunk.data, 'base64');
    if (data.length) res.write(data);
    offset += data.length;
    if (chunk.eof || data.length === 0) break;
  }
  res.end();
}
