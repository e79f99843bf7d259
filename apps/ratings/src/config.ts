import { readAdminPort } from '@skiff/sample-kit';
import { readHost, readPort, type Env } from './env.js';

export interface RatingsConfig {
  host: string;
  port: number;
  /** The demo controls' port on 127.0.0.1 (ADMIN_PORT); undefined: none. */
  adminPort: number | undefined;
}

export function readConfig(env: Env): RatingsConfig {
  const port = readPort(env, 9080);
  return { host: readHost(env), port, adminPort: readAdminPort(env, port) };
}
