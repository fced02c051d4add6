import { createHash } from 'node:crypto';

/** Hex sha256, the form `hello.files` reports (DESIGN.md "Agent protocol"); strings as UTF-8. */
export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
