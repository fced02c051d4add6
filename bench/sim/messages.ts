/** The messages between the simulator's parent (fleet.ts) and its worker processes (worker.ts). */
import type { SimAgentSpec } from './sim-agent';

export interface SimCounts {
  /** sockets connected now */
  connected: number;
  /** agents that connected at least once */
  everConnected: number;
  enrolled: number;
  /** sockets that were connected and dropped */
  disconnects: number;
  /** transports that closed before their handshake was accepted (not a drop: never connected) */
  handshakesLost: number;
  connectErrors: number;
  /** of the connect errors, handshakes the controller answered and refused for now (busy, at its cap) */
  refusals: number;
  /** of the refusals, those with an appointment (the controller said when to come back) */
  appointments: number;
  fatalRefusals: number;
  applies: number;
  applyFailures: number;
  selfCheckFailures: number;
}

export const zeroCounts = (): SimCounts => ({
  connected: 0,
  everConnected: 0,
  enrolled: 0,
  disconnects: 0,
  handshakesLost: 0,
  connectErrors: 0,
  refusals: 0,
  appointments: 0,
  fatalRefusals: 0,
  applies: 0,
  applyFailures: 0,
  selfCheckFailures: 0,
});

export interface AckRecord {
  name: string;
  revision: number;
  receivedAt: number;
  ackedAt: number;
}

export type ToWorker =
  | {
      type: 'start';
      url: string;
      agents: SimAgentSpec[];
      statsIntervalMs: number;
      reportIntervalMs: number;
      selfCheck: boolean;
      /** handshakes in flight per worker; 0: every agent at once (a connect storm) */
      connectConcurrency: number;
    }
  | { type: 'collect' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'counts'; counts: SimCounts }
  | { type: 'enrolled'; name: string; hostId: string; secret: string }
  | { type: 'collected'; counts: SimCounts; acks: AckRecord[]; problems: string[] }
  | { type: 'closed' };
