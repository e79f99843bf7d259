// reviews process entry: env -> config -> app -> listen. See serve.ts for the process life.
import { createLogger } from '@skiff/telemetry';
import { createApp } from './app.js';
import { readConfig, type ReviewsConfig } from './config.js';
import { serve } from './serve.js';
import { listenAdmin } from '@skiff/sample-kit';
import { createOutboundDispatcher } from './upstream.js';

let config: ReviewsConfig;
try {
  config = readConfig(process.env);
} catch (err) {
  console.error(`reviews: ${(err as Error).message}`);
  process.exit(2);
}

const logger = createLogger('reviews', { version: config.version });
const dispatcher = createOutboundDispatcher(config.outboundProxy);
const { app, admin, close: closeRatings } = createApp({ ...config, dispatcher, logger });
const adminServer = config.adminPort === undefined ? undefined : listenAdmin(admin, config.adminPort, {
  onError: (error) => {
    logger.fatal({ error: error.message, port: config.adminPort }, `cannot listen on 127.0.0.1:${config.adminPort} for the demo controls; set ADMIN_PORT to a free port, or "off"`);
    process.exit(1);
  },
  onListening: (port) => logger.info({ adminPort: port }, `demo controls (/admin/...) on http://127.0.0.1:${port}`),
});
serve(app, { host: config.host, port: config.port, logger, onClose: async () => {
  adminServer?.close();
  closeRatings();
  await dispatcher.close();
} });
