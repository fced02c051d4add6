import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { connectAgent } from './agent';
import { launchBrowser, signIn } from './browser';
import { ADMIN_TOKEN, TestController } from './controller';
import type { QmailTree } from './qmail-tree';
import { SupervisedQmailSend } from './supervise';
import { waitFor, type Proc } from './processes';

/**
 * One host seen through the dashboard: a real controller (embedded database), a real agent on
 * `qmail` whose qmail-send runs under Debian's daemontools (a stand-in), reporting its queue
 * every second, and Chromium signed in as the admin. `stop` ends what `start` got to start.
 */
export class DashboardRig {
  ctl!: TestController;
  page!: Page;
  qmailSend!: SupervisedQmailSend;
  agent?: Proc;
  hostId!: string;
  private browser?: Browser;

  constructor(
    readonly qmail: QmailTree,
    readonly hostName: string,
  ) {}

  async start(opts: { agentArgs?: string[]; page?: BrowserContextOptions } = {}): Promise<this> {
    this.ctl = await TestController.start('embedded');
    this.qmail.installStandIn('qmail-tcpok', '#!/bin/sh\nexit 0\n');
    this.qmailSend = new SupervisedQmailSend();
    await waitFor('qmail-send stand-in up', () => this.qmailSend.events().includes('start'));
    const host = await this.ctl.createHost(this.hostName);
    this.hostId = host.id;
    const args = ['--service', 'daemontools', '--service-dir', this.qmailSend.dir, '--queue-interval', '1', ...(opts.agentArgs ?? [])];
    this.agent = await connectAgent(this.ctl, host, { qmailHome: this.qmail.home, args });
    this.browser = await launchBrowser();
    this.page = await this.browser.newPage({ viewport: { width: 1280, height: 900 }, ...opts.page });
    await signIn(this.page, this.ctl.url, ADMIN_TOKEN);
    return this;
  }

  /** Another page in the same browser (a second user). */
  newPage(opts: BrowserContextOptions = {}): Promise<Page> {
    if (!this.browser) throw new Error('the dashboard rig is not started');
    return this.browser.newPage({ viewport: { width: 1280, height: 900 }, ...opts });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.agent?.stop();
    await this.qmailSend?.stop();
    await this.ctl?.stop();
    this.qmail.remove();
  }
}
