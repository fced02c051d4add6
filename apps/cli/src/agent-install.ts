import { AGENT_PACKAGE, agentInstallCommands } from '@qfleet/protocol';

/** What `hosts add` and `hosts enroll` print about installing the agent with a new enrol token. */
export function agentInstallSteps(controllerUrl: string, enrollToken: string): string[] {
  return [
    `On the mail server (Node.js 20 or later), as root, with the agent package (npm run package:agent → dist/${AGENT_PACKAGE}):`,
    ...agentInstallCommands(controllerUrl, enrollToken).map((c) => `  ${c}`),
    'qmail under systemd, an init script or a pidfile: --service systemd|init|pidfile (docs/operations.md).',
  ];
}
