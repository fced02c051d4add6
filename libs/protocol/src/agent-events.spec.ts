import { MAX_SOCKET_PAYLOAD_BYTES, oversizePayload, socketPayloadBytes } from './agent-events';

describe('socket payload size', () => {
  it('counts an event as socket.io sends it: the JSON of [event, payload], in UTF-8 bytes', () => {
    const json = JSON.stringify(['hello', { agentVersion: 'é' }]);
    expect(socketPayloadBytes(['hello', { agentVersion: 'é' }])).toBeGreaterThan(Buffer.byteLength(json) - 1);
    expect(socketPayloadBytes(['hello', { agentVersion: 'é' }])).toBeLessThan(Buffer.byteLength(json) + 64);
  });

  it('lets a payload under the shared limit pass and names the size of one over it', () => {
    expect(oversizePayload('report', ['report', { files: { a: 'x'.repeat(1024) } }])).toBeNull();
    const big = { files: { a: 'x'.repeat(MAX_SOCKET_PAYLOAD_BYTES) } };
    expect(oversizePayload('report', ['report', big])).toMatch(/^report of \d+ bytes is over the 16777216-byte socket limit$/);
  });
});
