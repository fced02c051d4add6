/**
 * How an operator puts the agent on a mail server (docs/operations.md "Installing the
 * agent"): unpack the package of `npm run package:agent`, run its install script as root.
 * `qfleet hosts add` and the dashboard's "Add host" print these very commands, and
 * test/e2e/install.e2e-spec.ts runs them. The defaults fit qmail under daemontools (Life with
 * qmail); other service backends take other flags, documented beside them.
 */
export const AGENT_PACKAGE = 'qfleet-agent.tar.gz';

export function agentInstallCommands(controllerUrl: string, enrollToken: string): string[] {
  return [
    `tar xzf ${AGENT_PACKAGE}`,
    `sh qfleet-agent/install-agent.sh --controller ${controllerUrl} --token ${enrollToken} --qmail /var/qmail --service daemontools --service-dir /service/qmail-send`,
  ];
}
