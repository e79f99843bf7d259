// Every scripted scenario `skiff scenario` offers.
import { AB_SCENARIO } from './ab-scenario.js';
import { AUTHZ_SCENARIO } from './authz-scenario.js';
import { CIRCUIT_BREAKER_SCENARIO } from './circuit-breaker-scenario.js';
import { FAULT_SCENARIO } from './fault-scenario.js';
import { MIRROR_SCENARIO } from './mirror-scenario.js';
import { MTLS_SCENARIO } from './mtls-scenario.js';
import type { ScriptedScenario } from './scripted.js';

/** The scripted scenarios, in the order the workshop takes them. */
export const SCRIPTED_SCENARIOS: readonly ScriptedScenario[] = [AB_SCENARIO, FAULT_SCENARIO, CIRCUIT_BREAKER_SCENARIO, MIRROR_SCENARIO, MTLS_SCENARIO, AUTHZ_SCENARIO];
