export * from './types';
export { parseInfo, parseRecipients } from './records';
export { formatQread, formatQstat } from './format';
export { scanQueue, tallyQueue } from './scan';
export * from './summary';
export { CHANSKIP, nextRetries, nextRetry, scheduledRetry } from './retry';
