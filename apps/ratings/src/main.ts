// ratings process entry: env -> config -> app -> listen. See serve.ts for the process life.
import { createLogger } from '@skiff/telemetry';
import { createApp } from './app.js';
import { readConfig, type RatingsConfig } from './config.js';
import { serve } from './serve.js';

let config: RatingsConfig;
try {
  config = readConfig(process.env);
} catch (err) {
  console.error(`ratings: ${(err as Error).message}`);
  process.exit(2);
}

const logger = createLogger('ratings');
serve(createApp({ logger }), { ...config, logger });
