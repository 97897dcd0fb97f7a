export { restRoutes } from './routes.js';
export type { RestOptions } from './routes.js';
export { installErrorHandling } from './errors.js';
