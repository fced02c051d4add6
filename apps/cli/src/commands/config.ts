import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { IF_MATCH, revisionTag, type ConfigDryRunView, type ConfigView, type PlanView, type WriteResult } from '@qfleet/protocol';
import { createTwoFilesPatch } from 'diff';
import stringify from 'safe-stable-stringify';
import { UsageError } from '../client';
import { Context } from '../context';
import { json, privilegedLines } from '../output';


function parseDocument(text: string, from: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${from} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${from} must hold a JSON object (the host's document)`);
  return doc as Record<string, unknown>;
}

function readStdin(): string {
  return fs.readFileSync(0, 'utf8');
}

function printWrite(ctx: Context, host: string, answer: WriteResult): void {
  ctx.print(answer, () =>
    [`${host}: saved as revision ${answer.revision}`, ...privilegedLines(answer.privileged), ...answer.warnings.map((w) => `warning: ${w.path ? `${w.path}: ` : ''}${w.message}`)].join('\n'),
  );
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Shows what saving `doc` would do, asks, then saves (`config set` and `config edit` alike):
 * the document's diff, the fields it stops managing, the files the host would get and the
 * post-steps, from the controller's dry run (which refuses a bad document before anything is
 * shown). Without --yes the question needs a terminal on standard input; a document read
 * from standard input leaves none to ask on. Answers true when it saved.
 *
 * Both the dry run and the save name the revision the diff was made against (If-Match): if
 * another operator saves while the editor is open or the question waits, the controller refuses
 * with 412 (who saved, which revision) instead of this save silently replacing theirs.
 */
async function reviewAndSave(ctx: Context, host: { id: string; name: string }, current: ConfigView, doc: Record<string, unknown>, opts: { yes?: boolean; docFromStdin?: boolean; label: string }): Promise<boolean> {
  // Keys sorted on both sides: the stored document comes back in the database's key order.
  const before = `${stableJson(current.document)}\n`;
  const after = `${stableJson(doc)}\n`;
  if (after === before) {
    ctx.say(`${host.name}: no changes`);
    return false;
  }
  const from = { [IF_MATCH]: revisionTag(current.revision) };
  const plan = await ctx.api.request<ConfigDryRunView>('PUT', `/api/hosts/${host.id}/config?dryRun=true`, doc, from);
  const out = ctx.options.json ? process.stderr : process.stdout;
  out.write(createTwoFilesPatch(`${host.name} revision ${current.revision}`, `${host.name} ${opts.label}`, before, after, undefined, undefined, { context: 3 }));
  out.write(`${planLines(plan).join('\n')}\n`);
  if (!opts.yes) {
    if (opts.docFromStdin) throw new UsageError('not saving: the document came from standard input, so there is no terminal to ask on; review the plan above and pass --yes to save');
    if (!process.stdin.isTTY) throw new UsageError('not saving: standard input is not a terminal to ask on; pass --yes to save without asking');
    if (!(await confirm('Save? [y/N] '))) {
      ctx.say('not saved');
      return false;
    }
  }
  printWrite(ctx, host.name, await ctx.api.request<WriteResult>('PUT', `/api/hosts/${host.id}/config`, doc, from));
  return true;
}

function stableJson(value: unknown): string {
  return stringify(value, null, 2) ?? '';
}

function planLines(plan: ConfigDryRunView): string[] {
  return [
    ...(plan.unmanaged.length ? [`no longer managed (their files are left as they are): ${plan.unmanaged.join(', ')}`] : []),
    ...(plan.changes.length ? ['files on the host:', ...plan.changes.map((c) => `  ${c.action} ${c.path}`)] : ['no file changes on the host']),
    plan.postSteps.length ? `then: ${plan.postSteps.map(describeStep).join(', ')}` : 'no post-steps',
    ...privilegedLines(plan.privileged),
    ...plan.warnings.map((w) => `warning: ${w.path ? `${w.path}: ` : ''}${w.message}`),
  ];
}

/** A post-step as the operator knows it: qmail's program, or what qmail-send is sent. */
function describeStep(step: string): string {
  return step === 'hup' ? 'HUP to qmail-send' : step === 'restart' ? 'restart of qmail-send' : step;
}

/** Runs $EDITOR (default vi) on a file, through the shell so that `EDITOR="code -w"` works. */
function runEditor(file: string): void {
  const editor = process.env['VISUAL'] || process.env['EDITOR'] || 'vi';
  const r = spawnSync(`${editor} '${file.replace(/'/g, `'\\''`)}'`, { shell: true, stdio: 'inherit' });
  if (r.error) throw new Error(`could not run the editor "${editor}": ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the editor "${editor}" exited with ${r.status ?? r.signal}; nothing was saved`);
}

export function configCommand(program: Command): void {
  const config = program.command('config').description("a host's own desired-state document");

  config
    .command('get')
    .description('print the document as JSON')
    .argument('<host>', 'id or name')
    .action(async (arg: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const { answer } = await ctx.onHost<ConfigView>(arg, 'GET', '/config');
      ctx.print(answer, () => json(answer.document));
    });

  config
    .command('set')
    .description('replace the whole document with a JSON file (- reads standard input): shows the diff, the fields no longer managed and the post-steps, then asks')
    .argument('<host>', 'id or name')
    .argument('<file>', 'a JSON file, or - for standard input')
    .option('-y, --yes', 'save without asking (needed when the document comes from standard input or there is no terminal)')
    .action(async (arg: string, file: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd);
      let text: string;
      try {
        text = file === '-' ? readStdin() : fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const doc = parseDocument(text, file === '-' ? 'standard input' : file);
      const host = await ctx.host(arg);
      const current = await ctx.api.get<ConfigView>(`/api/hosts/${host.id}/config`);
      await reviewAndSave(ctx, host, current, doc, { yes: opts.yes, docFromStdin: file === '-', label: file === '-' ? 'from standard input' : file });
    });

  config
    .command('edit')
    .description('edit the document in $EDITOR, review the diff, then save it')
    .argument('<host>', 'id or name')
    .option('-y, --yes', 'save without asking')
    .action(async (arg: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const host = await ctx.host(arg);
      const current = await ctx.api.get<ConfigView>(`/api/hosts/${host.id}/config`);
      const before = `${stableJson(current.document)}\n`;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-edit-'));
      const file = path.join(dir, `${host.name}.json`);
      fs.writeFileSync(file, before);
      let keep = false;
      try {
        runEditor(file);
        const after = fs.readFileSync(file, 'utf8');
        const doc = parseDocument(after, 'the edited document');
        // Kept while the controller may refuse it, so the edit is not lost.
        keep = true;
        await reviewAndSave(ctx, host, current, doc, { yes: opts.yes, label: 'edited' });
        keep = false;
      } finally {
        if (keep) process.stderr.write(`qfleet: your edit is kept in ${file}\n`);
        else fs.rmSync(dir, { recursive: true, force: true });
      }
    });

  program
    .command('plan')
    .description('the file-level diff the next apply would make on a host')
    .argument('<host>', 'id or name')
    .action(async (arg: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const { host, answer: plan } = await ctx.onHost<PlanView>(arg, 'GET', '/plan');
      ctx.print(plan, () => {
        const head = `${host.name}: desired revision ${plan.desiredRevision}, applied ${plan.appliedRevision}`;
        if (!plan.changes.length) return [head, ...privilegedLines(plan.privileged), 'no changes: the host has what it should'].join('\n');
        return [
          head,
          ...privilegedLines(plan.privileged),
          ...plan.changes.map((c) => `${c.action} ${c.path}${c.diff ? `\n${c.diff.trimEnd()}` : ''}`),
          plan.postSteps.length ? `then: ${plan.postSteps.join(', ')}` : 'no post-steps',
        ].join('\n');
      });
    });
}
