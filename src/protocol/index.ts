export * from './b64lex.js';
export * from './errors.js';
export * from './limits.js';
export * from './prop-modification.js';
export * from './tson.js';
export * from './types.js';
export * from './validation.js';
