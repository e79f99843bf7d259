// ratings process entry: env -> config -> app -> listen. See serve.ts for the process life.
import { createLogger } from '@skiff/telemetry';
import { createApp } from './app.js';
import { readConfig, type RatingsConfig } from './config.js';
import { serve } from './serve.js';
import { listenAdmin } from '@skiff/sample-kit';

let config: RatingsConfig;
try {
  config = readConfig(process.env);
} catch (err) {
  console.error(`ratings: ${(err as Error).message}`);
  process.exit(2);
}

const logger = createLogger('ratings');
const { app, admin, grpc } = createApp({ logger, failPercent: config.failPercent, extraLatencyMs: config.extraLatencyMs });
const adminServer = config.adminPort === undefined ? undefined : listenAdmin(admin, config.adminPort, {
  onError: (error) => {
    logger.fatal({ error: error.message, port: config.adminPort }, `cannot listen on 127.0.0.1:${config.adminPort} for the demo controls; set ADMIN_PORT to a free port, or "off"`);
    process.exit(1);
  },
  onListening: (port) => logger.info({ adminPort: port }, `demo controls (/admin/...) on http://127.0.0.1:${port}`),
});
void serve(app, { host: config.host, port: config.port, logger, grpc, onClose: async () => void adminServer?.close() });
