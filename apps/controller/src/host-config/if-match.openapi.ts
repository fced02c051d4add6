import type { ApiHeaderOptions, ApiResponseOptions } from '@nestjs/swagger';

/** The OpenAPI words for the If-Match precondition of the config writes (hosts' and groups'). */
export const IF_MATCH_HEADER: ApiHeaderOptions = {
  name: 'If-Match',
  required: false,
  description:
    'The revision the change starts from, in quotes as `GET …/config` answers it in `ETag` (`"12"`), or `*`. When the document has moved past it, the write is refused with 412 and nothing is stored; without the header the write replaces whatever is there. Checked before the body, and again by the statement that stores the new revision, so of two writes from the same revision only one succeeds.',
  schema: { type: 'string', example: '"12"' },
};

export const STALE_RESPONSE: ApiResponseOptions = {
  status: 412,
  description:
    '`If-Match` names a revision the document has moved past: `{statusCode: 412, error: "Precondition Failed", message, current: {revision, by, at}}`, `current` being the revision it is at now and who saved it.',
};
