export { ShoalServer, buildServer } from './app.js';
export type { DemoOptions, ShoalServerDeps } from './app.js';
export { defaultConfig, defaultPublicUrl, DEFAULT_PORT } from './config.js';
export type { MediaConfig, ServerConfig, WebhookConfig, WebrtcConfig } from './config.js';
export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export type { FeedEvent } from './notifications/index.js';
