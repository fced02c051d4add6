import { connectAgent } from './agent';
import type { TestController } from './controller';
import { QmailTree } from './qmail-tree';
import type { Proc } from './processes';

/**
 * Hosts of one spec, each with its own qmail tree and a real agent connected to the
 * controller; the trees and agents are stopped and removed together at the end.
 */
export class ConnectedHosts {
  private readonly trees: QmailTree[] = [];
  private readonly agents: Proc[] = [];

  /** A new qmail tree, removed at cleanUp. */
  tree(): QmailTree {
    const t = new QmailTree();
    this.trees.push(t);
    return t;
  }

  /**
   * Creates the host, stores its configuration document (when one is given and not empty) and
   * connects an agent managing `qmail` (a new tree unless given); resolves once it is connected.
   */
  async connect(ctl: TestController, name: string, opts: { config?: object; qmail?: QmailTree; args?: string[] } = {}) {
    const qmail = opts.qmail ?? this.tree();
    const host = await ctl.createHost(name);
    if (opts.config && Object.keys(opts.config).length) {
      const r = await ctl.api('PUT', `/api/hosts/${host.id}/config`, opts.config);
      if (r.status !== 200) throw new Error(`config of ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const agent = await connectAgent(ctl, host, { qmailHome: qmail.home, args: opts.args });
    this.agents.push(agent);
    return { host, qmail, agent };
  }

  async cleanUp(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    this.trees.forEach((t) => t.remove());
  }
}
