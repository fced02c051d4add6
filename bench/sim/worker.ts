/**
 * A worker process of the simulator: runs K simulated agents and reports their counts to the
 * parent (at most every 100 ms) and, when asked, the acknowledgements recorded since the last ask.
 */
import { SimAgent } from './sim-agent';
import { zeroCounts, type AckRecord, type FromWorker, type ToWorker } from './messages';

const send = (m: FromWorker) => process.send?.(m);
const counts = zeroCounts();
let acks: AckRecord[] = [];
const problems: string[] = [];
const agents: SimAgent[] = [];
/** the refusal messages seen, each once (why a storm is turned away) */
const refusalSeen = new Set<string>();
let countsTimer: NodeJS.Timeout | undefined;

// Counts change in bursts (a storm, a fan-out): coalesce them instead of one IPC message each.
function countsChanged(): void {
  countsTimer ??= setTimeout(() => {
    countsTimer = undefined;
    send({ type: 'counts', counts: { ...counts } });
  }, 100);
}

function start(m: Extract<ToWorker, { type: 'start' }>): void {
  const queue = [...m.agents];
  let inFlight = 0;
  const next = () => {
    while (queue.length && (m.connectConcurrency === 0 || inFlight < m.connectConcurrency)) {
      const spec = queue.shift()!;
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        inFlight--;
        next();
      };
      inFlight++;
      const agent = new SimAgent(spec, { url: m.url, statsIntervalMs: m.statsIntervalMs, reportIntervalMs: m.reportIntervalMs, selfCheck: m.selfCheck }, {
        connected: (first) => {
          counts.connected++;
          if (first) counts.everConnected++;
          settle();
          countsChanged();
        },
        disconnected: () => {
          counts.connected--;
          counts.disconnects++;
          countsChanged();
        },
        handshakeLost: () => {
          counts.handshakesLost++;
          settle();
          countsChanged();
        },
        connectError: (fatal, message, refused) => {
          counts.connectErrors++;
          if (refused && !fatal) {
            counts.refusals++;
            // One line per kind of refusal: appointments differ only in their time.
            const kind = message.replace(/\(in \d+ ms\)$/, '(in N ms)');
            if (!refusalSeen.has(kind) && problems.length < 20) {
              refusalSeen.add(kind);
              problems.push(`${spec.name}: refused for now: ${kind}`);
            }
          }
          if (fatal) {
            counts.fatalRefusals++;
            if (problems.length < 20) problems.push(`${spec.name}: ${message}`);
          }
          settle();
          countsChanged();
        },
        appointed: () => {
          counts.appointments++;
        },
        enrolled: (name, hostId, secret) => {
          counts.enrolled++;
          send({ type: 'enrolled', name, hostId, secret });
          countsChanged();
        },
        applied: (revision, receivedAt, ackedAt, ok) => {
          if (ok) counts.applies++;
          else counts.applyFailures++;
          acks.push({ name: spec.name, revision, receivedAt, ackedAt });
          countsChanged();
        },
        selfCheckFailed: (what, why) => {
          counts.selfCheckFailures++;
          if (problems.length < 20) problems.push(`${spec.name}: ${what} does not match its schema: ${why}`);
          countsChanged();
        },
      });
      agents.push(agent);
      agent.connect();
    }
  };
  next();
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'start') start(m);
  else if (m.type === 'collect') {
    send({ type: 'collected', counts: { ...counts }, acks, problems: [...problems] });
    acks = [];
  } else if (m.type === 'close') {
    for (const a of agents) a.close();
    send({ type: 'closed' });
    process.disconnect?.();
    setImmediate(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
