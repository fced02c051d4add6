import fs from 'node:fs';
import path from 'node:path';
import { agentInstallCommands } from './agent-install';

const repo = path.resolve(__dirname, '..', '..', '..');

describe('the agent install commands', () => {
  // What the CLI and the dashboard print is what the documentation tells an operator to run.
  it.each([
    ['docs/operations.md'],
    ['README.md'],
  ])('are the ones %s documents', (doc) => {
    const text = fs.readFileSync(path.join(repo, doc), 'utf8');
    for (const command of agentInstallCommands('https://qfleet.example.net', '<enrol token>')) expect(text).toContain(`\n${command}\n`);
  });

  it('name only flags that install-agent.sh takes', () => {
    const script = fs.readFileSync(path.join(repo, 'deploy', 'install-agent.sh'), 'utf8');
    const flags = agentInstallCommands('https://x', 't')[1].match(/--[a-z-]+/g) ?? [];
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(script).toContain(`    ${flag})`);
  });
});
