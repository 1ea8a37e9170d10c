/** The planner (pure: Recipe -> DAG) and its renderers. */
export type { Plan } from './types.js';
export { buildPlan } from './build.js';
export { fillSave } from '../util/save-template.js';
export { withoutPicks } from './unpicked.js';
export { legacyOutputPathFor, outputPathFor, type OutputNaming } from './output-path.js';
export { renderPlanText } from './render-text.js';
export { planToJson, planJsonSchema } from './plan-json.js';
export { renderPlanMermaid, mermaidId } from './render-mermaid.js';
