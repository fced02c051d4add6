export * from './values';
export * from './document';
export * from './agent-events';
export * from './validation';
export * from './api';
export * from './requests';
export * from './tokens';
export * from './actions';
