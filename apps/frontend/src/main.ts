// frontend process entry: env -> config -> app -> listen. See serve.ts for the process life.
import { createLogger } from '@skiff/telemetry';
import { createApp } from './app.js';
import { attachLiveUpdates } from './live.js';
import { readConfig, type FrontendConfig } from './config.js';
import { serve } from './serve.js';
import { createOutboundDispatcher } from './upstream.js';

let config: FrontendConfig;
try {
  config = readConfig(process.env);
} catch (err) {
  console.error(`frontend: ${(err as Error).message}`);
  process.exit(2);
}

const logger = createLogger('frontend');
const dispatcher = createOutboundDispatcher(config.outboundProxy);
const app = createApp({ ...config, dispatcher, logger });
const server = serve(app, { host: config.host, port: config.port, logger, onClosing: () => live.close(), onClose: () => dispatcher.close() });
const live = attachLiveUpdates(server, { client: { reviewsUrl: config.reviewsUrl, dispatcher, timeoutMs: config.reviewsTimeoutMs }, logger });
