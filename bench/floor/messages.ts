export type FloorRequest = { type: 'broadcast'; timeoutMs: number } | { type: 'status' };
export type FloorReply =
  | { type: 'listening'; port: number }
  | { type: 'broadcast'; ms: number; acks: number; bytes: number; error?: string }
  | { type: 'status'; sockets: number; received: { hello: number; report: number; queueStats: number } };
