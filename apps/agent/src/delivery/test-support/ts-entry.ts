import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '../../../../..');

/**
 * A stand-in for the agent bundle: a JS file that loads the delivery code through ts-node
 * and calls runDeliveryCommand with its argv, as main.ts does. Lets a test run the installed
 * wrapper scripts the way qmail-local would, without building the bundle first.
 */
export async function writeTsEntry(dir: string): Promise<string> {
  const path = join(dir, 'agent-entry.js');
  const r = (p: string) => JSON.stringify(join(REPO, p));
  await writeFile(
    path,
    `require(${r('node_modules/ts-node')}).register({ transpileOnly: true, project: ${r('apps/agent/tsconfig.spec.json')} });
require(${r('node_modules/tsconfig-paths')}).register({ baseUrl: ${JSON.stringify(REPO)}, paths: {
  '@qfleet/protocol': ['libs/protocol/src/index.ts'], '@qfleet/qmail': ['libs/qmail/src/index.ts'] } });
require(${r('apps/agent/src/delivery/index.ts')}).runDeliveryCommand(process.argv.slice(2)).then((code) => process.exit(code ?? 2));
`,
  );
  return path;
}
