#!/usr/bin/env node
// Runs the skiff CLI from its TypeScript source through tsx, so a clean clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../apps/cli/src/main.ts');
