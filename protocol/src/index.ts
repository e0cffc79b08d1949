export * from './browser.js';
export * from './config/digest.js';
