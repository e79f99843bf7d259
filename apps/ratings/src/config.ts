import { readHost, readPort, type Env } from './env.js';

export interface RatingsConfig {
  host: string;
  port: number;
}

export function readConfig(env: Env): RatingsConfig {
  return { host: readHost(env), port: readPort(env, 9080) };
}
