import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { HostView, HostsDelta } from '@qfleet/protocol';
import { AgentSessions } from '../agents/agent-sessions';
import { ApplyDispatcher } from '../agents/apply-dispatcher.service';
import { UiGateway } from '../ui/ui.gateway';
import { HostsService } from './hosts.service';

/** One `/ui` `hosts` and one `fleetSummary` event a second at most. */
const TICK_MS = 1000;
/**
 * After a change is noticed (here or on another replica), the summary is recounted on the ticks
 * of this long: the stored facts it reads may be up to a second old (HostsService), and queue
 * figures from another replica arrive on their own; a recount that still saw the old facts is
 * followed by one that sees the new. Unchanged summaries are not sent again.
 */
const SUMMARY_SETTLE_MS = 2500;
/** More changed hosts than this in one tick: `resync` instead of the views (a reconnect storm). */
export const MAX_DELTA_HOSTS = 2000;

/**
 * Live host views for the dashboard (issue 13): the hosts whose view may have changed (an
 * agent connected or went, reported, acknowledged a revision, sent queue figures) are
 * gathered and sent once a second, only those whose view differs from what was last sent.
 * Changes are noticed on the replica holding the agent, and sent through the namespace (the
 * Redis adapter takes them to every replica's clients). The fleet summary is not: each replica
 * recounts it for its own clients from the shared facts when a change was noticed anywhere
 * (the noticing replica tells the others), so a dashboard gets one summary a tick, not one from
 * every replica that noticed something.
 */
@Injectable()
export class HostDeltas implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ui');
  private dirty = new Set<string>();
  /** hosts whose queue figures alone changed: their last sent view is patched, not read again */
  private queueDirty = new Set<string>();
  /**
   * The view last sent per host (one per host, dropped with the host or when no client is
   * left): unchanged views are not sent again, and queue figures patch it without a read of
   * the host's row (every agent sends them every 10 s: 1,000 reads a second at 10,000 hosts).
   */
  private readonly sent = new Map<string, { view: HostView; json: string }>();
  private lastSummary?: string;
  /** recount the summary on every tick until then (SUMMARY_SETTLE_MS after the last change noticed) */
  private summaryUntil = 0;
  private readonly changedElsewhere = () => void (this.summaryUntil = Date.now() + SUMMARY_SETTLE_MS);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly touch = (hostId: string) => void this.dirty.add(hostId);
  private readonly touchQueue = (hostId: string) => void this.queueDirty.add(hostId);

  constructor(
    private readonly hosts: HostsService,
    private readonly sessions: AgentSessions,
    private readonly dispatcher: ApplyDispatcher,
    private readonly ui: UiGateway,
  ) {}

  onModuleInit(): void {
    this.sessions.changes.on('host', this.touch);
    this.sessions.changes.on('queue', this.touchQueue);
    this.dispatcher.progress.on('host', this.touch);
    this.ui.elsewhere.on('change', this.changedElsewhere);
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((e: Error) => this.logger.warn(`host updates not sent: ${e.message.split('\n').at(-1)}`))
        .finally(() => (this.running = undefined));
    }, TICK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.sessions.changes.off('host', this.touch);
    this.sessions.changes.off('queue', this.touchQueue);
    this.dispatcher.progress.off('host', this.touch);
    this.ui.elsewhere.off('change', this.changedElsewhere);
    await this.running;
  }

  /** Sends what changed since the last tick (exported for tests: one tick now). */
  async tick(): Promise<void> {
    if (this.dirty.size || this.queueDirty.size) {
      // Queue figures move the summary's totals here; a host's own change may move every
      // replica's summary, so the others are told (queue figures arrive every 10 s per agent:
      // they are not announced).
      this.summaryUntil = Date.now() + SUMMARY_SETTLE_MS;
      if (this.dirty.size) this.ui.announceHostsChanged();
      await this.sendDeltas();
    }
    await this.sendSummary();
  }

  private async sendDeltas(): Promise<void> {
    if (!this.ui.mayHaveClients()) {
      // A client that connects fetches its page and the summary first: nothing to catch up on.
      this.dirty.clear();
      this.queueDirty.clear();
      this.sent.clear();
      return;
    }
    const queueOnly: HostView[] = [];
    for (const id of this.queueDirty) {
      const last = this.dirty.has(id) ? undefined : this.sent.get(id);
      if (last) queueOnly.push(this.hosts.withLatestQueue(last.view));
      else this.dirty.add(id);
    }
    this.queueDirty = new Set();
    const ids = [...this.dirty];
    this.dirty = new Set();
    if (ids.length + queueOnly.length > MAX_DELTA_HOSTS) {
      // The digests no longer say what clients hold: they refetch, and every view is sent again later.
      this.sent.clear();
      this.ui.hostsDelta({ changed: [], removed: [], resync: true });
    } else {
      const delta = await this.delta(ids, queueOnly);
      if (delta.changed.length || delta.removed.length) this.ui.hostsDelta(delta);
    }
  }

  /** This replica's clients' summary, recounted while a change noticed anywhere may still show in it. */
  private async sendSummary(): Promise<void> {
    if (!this.ui.hasLocalClients()) {
      this.lastSummary = undefined;
      return;
    }
    if (Date.now() > this.summaryUntil) return;
    const summary = await this.hosts.summary();
    const json = JSON.stringify(summary);
    if (json !== this.lastSummary) {
      this.lastSummary = json;
      this.ui.fleetSummary(summary);
    }
  }

  private async delta(ids: string[], patched: HostView[]): Promise<HostsDelta> {
    const views = await this.hosts.views(ids);
    const found = new Set(views.map((v) => v.id));
    const changed = [...views, ...patched].filter((v) => {
      const json = JSON.stringify(v);
      if (this.sent.get(v.id)?.json === json) return false;
      this.sent.set(v.id, { view: v, json });
      return true;
    });
    const removed = ids.filter((id) => !found.has(id));
    for (const id of removed) this.sent.delete(id);
    return { changed, removed };
  }
}
