import { Injectable } from '@nestjs/common';
import { ActionRequest, ActionResultSchema, ServiceStateSchema, type Action, type ActionResult, type ServiceState, type FleetTarget } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { hostsOfTarget } from '../hosts/fleet-target';
import { mapLimit } from '../hosts/map-limit';
import { AgentRequests } from '../agents/agent-requests.service';
import { AgentFanout } from '../agents/agent-fanout';
import { AuditService } from '../audit/audit.service';
import { InvalidInput } from '../errors/errors';
import type { Actor } from '../auth/roles';

// The agent waits up to 120 s for qmail-send to exit after TERM (QMAIL.md §5), then answers.
const ACTION_TIMEOUT_MS = 150_000;
const FLEET_CONCURRENCY = 10;

export interface HostActionResult {
  hostId: string;
  name: string;
  ok: boolean;
  result?: ActionResult;
  error?: string;
}

/** start/stop/restart/reload/flush of qmail-send through each host's agent, audited (DESIGN.md "The agent: applying safely"). */
@Injectable()
export class ActionsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly agents: AgentRequests,
    private readonly fanout: AgentFanout,
    private readonly audit: AuditService,
  ) {}

  state(hostId: string): Promise<ServiceState> {
    return this.agents.ask(hostId, ActionRequest.serviceState, {}, ServiceStateSchema);
  }

  /** One host; a failure is audited too, then thrown (mapped to HTTP by the exception filter). */
  async run(hostId: string, action: Action, actor: Actor): Promise<ActionResult> {
    try {
      const result = await this.agents.ask(hostId, ActionRequest.run, { action }, ActionResultSchema, ACTION_TIMEOUT_MS);
      await this.audit.record({ actor, action: `action.${action}`, target: `host:${hostId}`, diff: result });
      return result;
    } catch (e) {
      await this.audit.record({ actor, action: `action.${action}`, target: `host:${hostId}`, diff: { action, ok: false, error: (e as Error).message } });
      throw e;
    }
  }

  /** Every targeted host, at most FLEET_CONCURRENCY at a time; one audit entry for the lot. */
  async runFleet(target: FleetTarget, action: Action, actor: Actor): Promise<{ action: Action; hosts: HostActionResult[]; ok: number; failed: number }> {
    const hosts = await hostsOfTarget(this.prisma, target);
    // Connected to any replica: the request reaches the agent wherever it is.
    const online = await this.fanout.connected(hosts.map((h) => h.id));
    const results = await mapLimit(hosts, FLEET_CONCURRENCY, async (h): Promise<HostActionResult> => {
      if (!online.has(h.id)) return { hostId: h.id, name: h.name, ok: false, error: 'not connected' };
      try {
        const result = await this.agents.ask(h.id, ActionRequest.run, { action }, ActionResultSchema, ACTION_TIMEOUT_MS);
        return { hostId: h.id, name: h.name, ok: true, result };
      } catch (e) {
        return { hostId: h.id, name: h.name, ok: false, error: (e as Error).message };
      }
    });
    const ok = results.filter((r) => r.ok).length;
    await this.audit.record({
      actor,
      action: `action.${action}`,
      target: target.groups?.length ? `groups:${target.groups.join(',')}` : `hosts:${(target.hosts ?? []).length}`,
      diff: { action, hosts: results.map((r) => ({ host: r.name, ok: r.ok, state: r.result?.state, steps: r.result?.steps, error: r.error })) },
    });
    return { action, hosts: results, ok, failed: results.length - ok };
  }

}
