export * from './errors';
export * from './maildir';
export * from './maildir-files';
export * from './mbox';
export * from './mbox-files';
export * from './message';
export * from './search';
