export * from './fields';
export * from './control';
export * from './names';
export * from './render';
export * from './post-steps';
export * from './validate';
export * from './namespace';
export * from './hash';
