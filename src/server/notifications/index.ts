export { NotificationBus } from './bus.js';
export type { Notification, NotificationBody, NotificationKind } from './bus.js';
export { WebhookDispatcher } from './webhooks.js';
export type { WebhookStats } from './webhooks.js';
export { LiveFeed } from './feed.js';
export type { FeedEvent } from './feed.js';
