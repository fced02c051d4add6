import { startAgent } from './agent';
import type { TestController } from './controller';
import { QmailTree } from './qmail-tree';
import type { Proc } from './processes';

/** One host of a test fleet: its row on the controller, its qmail tree, its agent (when started). */
export class FleetHost {
  proc?: Proc;
  private stateDir?: string;

  constructor(
    private readonly ctl: TestController,
    readonly id: string,
    readonly name: string,
    readonly qmail: QmailTree,
    private readonly enrollToken: string,
    private readonly agentArgs: string[],
  ) {}

  /** Starts the real agent; after the first start it uses the secret it stored. */
  start(): Proc {
    const { proc, stateDir } = startAgent({
      controllerUrl: this.ctl.url,
      token: this.stateDir ? undefined : this.enrollToken,
      qmailHome: this.qmail.home,
      stateDir: this.stateDir,
      args: this.agentArgs,
      name: this.name,
    });
    this.stateDir = stateDir;
    this.proc = proc;
    return proc;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  /** The revisions this host's agent began to apply, in order, from its log. */
  appliedLog(): number[] {
    return (this.proc?.output ?? []).flatMap((l) => {
      const m = l.match(/"revision":(\d+).*"msg":"applying"/);
      return m ? [Number(m[1])] : [];
    });
  }
}

/** Hosts with qmail trees and real agents on one controller, cleaned up together. */
export class TestFleet {
  readonly hosts: FleetHost[] = [];

  constructor(private readonly ctl: TestController) {}

  async add(name: string, groups: string[], opts: { start?: boolean; agentArgs?: string[] } = {}): Promise<FleetHost> {
    const r = await this.ctl.api('POST', '/api/hosts', { name, groups });
    if (r.status !== 201) throw new Error(`create host ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    const host = new FleetHost(this.ctl, r.body.id, name, new QmailTree(), r.body.enrollToken, opts.agentArgs ?? []);
    this.hosts.push(host);
    if (opts.start !== false) host.start();
    return host;
  }

  byName(name: string): FleetHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no test host ${name}`);
    return h;
  }

  async cleanUp(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
    this.hosts.forEach((h) => h.qmail.remove());
  }
}
