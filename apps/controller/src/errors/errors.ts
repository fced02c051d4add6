import type { CurrentRevision, FieldProblem } from '@qfleet/protocol';

/** Typed errors of the controller, mapped to HTTP by one filter (errors/http-exception.filter.ts). */
export class InvalidInput extends Error {
  constructor(
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** The caller's role may not do this (named by `fields`), though it may call the route. */
export class Forbidden extends Error {
  constructor(
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export class NotFound extends Error {}
/** The request clashes with what is stored (a name taken); `fields` names where, for a bulk request. */
export class Conflict extends Error {
  constructor(
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** A write's `If-Match` names a revision the document has moved past (412): `current` says where it is now. */
export class StaleRevision extends Error {
  constructor(
    message: string,
    readonly current: CurrentRevision,
  ) {
    super(message);
  }
}

/** The agent could not do what was asked (its own words are in the message). */
export class AgentFailed extends Error {}
