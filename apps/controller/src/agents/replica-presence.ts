/** How often a replica says how many agents it holds (and a digest of which): its heartbeat. */
export const PRESENCE_BEAT_MS = 5_000;
/** A replica not heard from for this long is gone: its hosts count as offline. */
export const PRESENCE_EXPIRY_MS = 3 * PRESENCE_BEAT_MS;

/** What a replica sends the others (over socket.io's serverSideEmit; Redis keeps one sender's messages in order). */
export interface PresenceLink {
  /** an agent connected to (on) or went from (off) the sender */
  delta(uid: string, hostId: string, on: boolean): void;
  /** every host the sender holds, replacing what the others knew of it */
  snapshot(uid: string, hostIds: string[]): void;
  /** the sender's count and digest: a receiver whose copy differs asks for a snapshot */
  beat(uid: string, count: number, digest: number): void;
  /** asks `target` (a replica's uid, or '*' for all) for a snapshot */
  resync(target: string): void;
}

/** Host ids with an order-free digest (a sum of their hashes) kept up to date as they change. */
class DigestedSet {
  readonly hosts = new Set<string>();
  digest = 0;

  static of(hostIds: Iterable<string>): DigestedSet {
    const set = new DigestedSet();
    for (const id of hostIds) set.set(id, true);
    return set;
  }

  /** Adds (on) or removes the host; false when it was so already. */
  set(hostId: string, on: boolean): boolean {
    if (on === this.hosts.has(hostId)) return false;
    if (on) this.hosts.add(hostId);
    else this.hosts.delete(hostId);
    this.digest = (this.digest + (on ? 1 : -1) * hashOf(hostId)) >>> 0;
    return true;
  }
}

interface Peer {
  held: DigestedSet;
  heardAt: number;
}

/**
 * Which hosts have an agent on another controller replica (issue 11), kept from what the
 * replicas tell each other instead of asked on every page: asking every replica which of
 * 10,000 rooms it holds (socket.io's fetchSockets over Redis) was a round trip and a list of
 * sockets per page and summary. Each replica sends a delta when an agent connects or goes, a
 * heartbeat with its count and an order-free digest of its hosts, and its whole list when
 * asked (at start, or when a heartbeat shows a copy differs: a message lost on a Redis
 * reconnect). A replica not heard from for PRESENCE_EXPIRY_MS is taken as gone.
 */
export class ReplicaPresence {
  private readonly local = new DigestedSet();
  private readonly peers = new Map<string, Peer>();
  private startedAt = Infinity;

  constructor(
    readonly uid: string,
    private readonly link: PresenceLink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Asks every replica what it holds (once this one hears their answers). */
  start(): void {
    this.startedAt = this.now();
    this.link.resync('*');
  }

  /**
   * True once a heartbeat round has passed since start: every replica alive has said what it
   * holds (or been asked to). Before that the caller asks the replicas directly.
   */
  get settled(): boolean {
    return this.now() - this.startedAt >= PRESENCE_BEAT_MS + 1_000;
  }

  /** Connected to another replica (this one's own agents are the caller's to check). */
  elsewhere(hostId: string): boolean {
    for (const p of this.peers.values()) if (p.held.hosts.has(hostId)) return true;
    return false;
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** This replica's agent for the host connected (on) or went (off). */
  localChanged(hostId: string, on: boolean): void {
    if (this.local.set(hostId, on)) this.link.delta(this.uid, hostId, on);
  }

  /** The heartbeat (every PRESENCE_BEAT_MS), and the expiry of replicas not heard from. */
  tick(): void {
    this.link.beat(this.uid, this.local.hosts.size, this.local.digest);
    const now = this.now();
    for (const [uid, p] of this.peers) if (now - p.heardAt > PRESENCE_EXPIRY_MS) this.peers.delete(uid);
  }

  onDelta(uid: string, hostId: string, on: boolean): void {
    if (uid === this.uid) return;
    this.peer(uid).held.set(hostId, on);
  }

  onSnapshot(uid: string, hostIds: string[]): void {
    if (uid === this.uid) return;
    this.peer(uid).held = DigestedSet.of(hostIds);
  }

  onBeat(uid: string, count: number, digest: number): void {
    if (uid === this.uid) return;
    const known = this.peers.has(uid);
    const p = this.peer(uid);
    if (!known || p.held.hosts.size !== count || p.held.digest !== digest) this.link.resync(uid);
  }

  onResync(target: string): void {
    if (target === '*' || target === this.uid) this.link.snapshot(this.uid, [...this.local.hosts]);
  }

  private peer(uid: string): Peer {
    let p = this.peers.get(uid);
    if (!p) this.peers.set(uid, (p = { held: new DigestedSet(), heardAt: 0 }));
    p.heardAt = this.now();
    return p;
  }
}

/** FNV-1a, 32 bits: the digest is a sum of these, so it needs no order and moves with each delta. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
