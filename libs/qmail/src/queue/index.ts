export * from './types';
export { parseInfo, parseRecipients } from './records';
export { formatQread, formatQstat } from './format';
export { DEFAULT_SPLIT, scanQueue } from './scan';
export { tallyQueue } from './tally';
export * from './summary';
export { CHANSKIP, nextRetries, nextRetry, scheduledRetry } from './retry';
