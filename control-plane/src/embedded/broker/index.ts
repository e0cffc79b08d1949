export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
export { SHARED_SUBSCRIPTIONS_SUPPORTED, decideConnect, decidePublish, decideSubscribe } from './access-control.js';
