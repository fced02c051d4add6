import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deleteMboxMessages, listMbox, mboxMessages, mboxStats } from '@qfleet/qmail';
import { appendToMbox, exited, mboxEntry, message, startShell, tempDir } from './mailboxes';

const ROUNDS = 60;

/** A message big enough that rewrites take a while, with lines mboxrd must quote. */
function bulky(kind: 'keep' | 'victim', n: number): string {
  const lines = Array.from({ length: 150 }, (_, i) => (i % 25 === 0 ? `From line ${i} of ${kind} ${n}` : `${kind} ${n} line ${i} ${'x'.repeat(40)}`));
  return message({ from: `${kind}${n}@example.com`, to: 'u@example.org', subject: `${kind} ${n}`, body: lines.join('\n') + '\n' });
}

describe('deleting from an mbox while qmail-local delivers to it', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp.remove());

  it('loses no delivery and removes every deleted message', async () => {
    tmp = tempDir('mbox-race');
    const file = join(tmp.dir, 'Mailbox');
    const entries = join(tmp.dir, 'entries');
    mkdirSync(entries);
    const expected = new Map<string, string>();
    for (let n = 0; n < 10; n++) {
      appendToMbox(file, `old${n}@example.com`, bulky('keep', 1000 + n));
      expected.set(`keep${1000 + n}@example.com`, bulky('keep', 1000 + n));
      appendToMbox(file, `victim${1000 + n}@example.com`, bulky('victim', 1000 + n));
    }
    for (let n = 0; n < ROUNDS; n++) {
      // Each round delivers a message to keep and one to delete, as separate qmail-local runs.
      writeFileSync(join(entries, `${n}-a`), mboxEntry(`keep${n}@example.com`, bulky('keep', n)));
      writeFileSync(join(entries, `${n}-b`), mboxEntry(`victim${n}@example.com`, bulky('victim', n)));
      expected.set(`keep${n}@example.com`, bulky('keep', n));
    }

    // qmail-local's mailfile(): open O_APPEND, flock(LOCK_EX), write, close (QMAIL.md §6).
    const writer = await startShell(
      `echo ready
       i=0
       while [ $i -lt ${ROUNDS} ]; do
         for part in a b; do
           exec 3>>"$MBOX"; flock -x 3; cat "$ENTRIES/$i-$part" >&3; exec 3>&-
         done
         i=$((i + 1))
       done`,
      { MBOX: file, ENTRIES: entries },
    );
    let writing = true;
    const done = exited(writer).then((code) => {
      writing = false;
      return code;
    });

    let deletesWhileWriting = 0;
    for (;;) {
      const wasWriting = writing;
      const victims = (await listMbox(file)).filter((m) => m.sender.startsWith('victim'));
      if (!victims.length && !wasWriting) break;
      // Delete a few at a time so that many rewrites overlap the deliveries.
      const result = await deleteMboxMessages(file, victims.slice(0, 2).map((m) => m.id));
      if (wasWriting && result.deleted.length) deletesWhileWriting++;
    }
    expect(await done).toBe(0);
    expect(deletesWhileWriting).toBeGreaterThan(5);

    // Every kept message is there once, byte for byte as delivered (mboxrd quoting undone); no victim is.
    const found = new Map<string, string>();
    for await (const { message: m, raw } of mboxMessages(file)) {
      expect(m.sender).not.toMatch(/^victim/);
      const from = /^From: (\S+)$/m.exec(raw.toString())?.[1] as string;
      expect(found.has(from)).toBe(false);
      found.set(from, raw.toString());
    }
    expect(found).toEqual(expected);
    expect((await mboxStats(file)).count).toBe(expected.size);
    expect(readdirSync(tmp.dir).sort()).toEqual(['Mailbox', 'entries']);
  }, 120_000);
});
