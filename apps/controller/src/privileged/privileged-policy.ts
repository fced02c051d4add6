import { Inject, Injectable } from '@nestjs/common';
import { describeProblems, type FieldProblem, type PrivilegedChange } from '@qfleet/protocol';
import { programOutsideAllowlist } from '@qfleet/qmail';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { Forbidden } from '../errors/errors';
import type { Actor } from '../auth/roles';

/**
 * Who may add or alter program deliveries and assignments (issue 10, hole 5). A `|program`
 * line runs `sh -c` as the alias user, or an assigned uid, on every host that gets the document;
 * an assignment decides that uid. So they are the admin's by default; the controller's settings
 * may let operators run allowlisted programs (QFLEET_PROGRAM_ALLOWLIST) and write assignments
 * (QFLEET_OPERATOR_ASSIGNMENTS). Read once at start-up.
 */
@Injectable()
export class PrivilegedPolicy {
  private readonly rules: Settings['privileged'];

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.rules = settings.privileged;
  }

  /**
   * The items this caller may not make, each named by its path. A string actor is the
   * controller itself carrying out what a person started (a rollout's batches), which was
   * checked when it was started.
   */
  refused(actor: Actor | string, items: readonly PrivilegedChange[]): FieldProblem[] {
    if (typeof actor === 'string' || actor.role === 'admin') return [];
    const out: FieldProblem[] = [];
    for (const item of items) {
      if (item.kind === 'program') {
        const why = programOutsideAllowlist(item.value, this.rules.programAllowlist);
        if (why) out.push({ path: item.path, message: `program deliveries need the admin role or a program on QFLEET_PROGRAM_ALLOWLIST: this one ${why}` });
      } else if (!this.rules.operatorAssignments) {
        out.push({ path: item.path, message: 'assignments decide the uid mail is delivered as: they need the admin role (or QFLEET_OPERATOR_ASSIGNMENTS=1)' });
      }
    }
    return out;
  }

  /** Throws 403 naming every item the caller may not make; `where` names the host or group. */
  check(actor: Actor | string, items: readonly PrivilegedChange[], where?: string): void {
    const refused = this.refused(actor, items);
    if (refused.length) throw new Forbidden(`${where ? `${where}: ` : ''}privileged change refused: ${describeProblems(refused)}`, refused);
  }

  /** True when nothing this caller writes can be refused: checks that cost a preview can be skipped. */
  unrestricted(actor: Actor | string): boolean {
    return typeof actor === 'string' || actor.role === 'admin';
  }
}
