export * from './schema';
export * from './merge';
export * from './diff';
export * from './change';
export * from './normalise';
