export { MailboxStatsScanner, SETTLE_MS, type ScanCounters, type ScanResult } from './scanner';
export { startMailboxReporter, summarize } from './reporter';
export { mailboxLocations } from './locations';
export { registerMailboxScanRequest } from './request';
