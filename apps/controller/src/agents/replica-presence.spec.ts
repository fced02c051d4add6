import { PRESENCE_BEAT_MS, PRESENCE_EXPIRY_MS, ReplicaPresence, type PresenceLink } from './replica-presence';

/** Replicas joined by an in-memory bus that delivers each message to every other replica, in order, unless `lose` is set. */
function cluster() {
  let now = 0;
  const members: ReplicaPresence[] = [];
  const bus = { lose: false };
  const linkFor = (): PresenceLink => {
    const others = (self: string) => members.filter((m) => m.uid !== self);
    return {
      delta: (uid, hostId, on) => !bus.lose && others(uid).forEach((m) => m.onDelta(uid, hostId, on)),
      snapshot: (uid, ids) => others(uid).forEach((m) => m.onSnapshot(uid, ids)),
      beat: (uid, count, digest) => others(uid).forEach((m) => m.onBeat(uid, count, digest)),
      resync: (target) => members.forEach((m) => m.onResync(target)),
    };
  };
  const add = (uid: string) => {
    const m = new ReplicaPresence(uid, linkFor(), () => now);
    members.push(m);
    m.start();
    return m;
  };
  return { add, bus, members, advance: (ms: number) => (now += ms), remove: (m: ReplicaPresence) => members.splice(members.indexOf(m), 1) };
}

describe('ReplicaPresence', () => {
  it("knows the other replica's agents from its deltas, and a replica started later asks for them", () => {
    const c = cluster();
    const a = c.add('a');
    a.localChanged('h1', true);
    a.localChanged('h2', true);
    const b = c.add('b');
    expect(b.elsewhere('h1')).toBe(true);
    expect(b.elsewhere('h2')).toBe(true);
    a.localChanged('h1', false);
    expect(b.elsewhere('h1')).toBe(false);
    b.localChanged('h3', true);
    expect(a.elsewhere('h3')).toBe(true);
    expect(a.elsewhere('h2')).toBe(false);
  });

  it('is settled only after a heartbeat round', () => {
    const c = cluster();
    const a = c.add('a');
    expect(a.settled).toBe(false);
    c.advance(PRESENCE_BEAT_MS + 1_000);
    expect(a.settled).toBe(true);
  });

  it('asks for a snapshot when a heartbeat shows its copy differs (a lost delta)', () => {
    const c = cluster();
    const a = c.add('a');
    const b = c.add('b');
    c.bus.lose = true;
    a.localChanged('h1', true);
    a.localChanged('h2', true);
    c.bus.lose = false;
    expect(b.elsewhere('h1')).toBe(false);
    a.tick();
    expect(b.elsewhere('h1')).toBe(true);
    expect(b.elsewhere('h2')).toBe(true);
  });

  it('takes a replica not heard from as gone', () => {
    const c = cluster();
    const a = c.add('a');
    const b = c.add('b');
    a.localChanged('h1', true);
    expect(b.elsewhere('h1')).toBe(true);
    c.remove(a);
    c.advance(PRESENCE_EXPIRY_MS + 1);
    b.tick();
    expect(b.elsewhere('h1')).toBe(false);
    expect(b.peerCount).toBe(0);
  });
});
