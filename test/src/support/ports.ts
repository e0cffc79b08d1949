export { freePort } from '../../../control-plane/src/embedded/postgres.js';
