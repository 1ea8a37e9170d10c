/** The planner (pure: Recipe -> DAG) and its renderers. */
export type { NodeInput, Plan, PlanNode } from './types.js';
export { buildPlan, seedFor } from './build.js';
export { nodeId } from './node-id.js';
export { fillSave, type SaveValues } from './save.js';
export { legacyOutputPathFor, outputPathFor, type OutputNaming } from './output-path.js';
export { summarizePlan, formatSummary, type PlanSummary } from './summary.js';
export { renderPlanText, MAX_LISTED_INSTANCES, type RenderTextOptions } from './render-text.js';
export {
  planToJson,
  planJsonSchema,
  planNodeJsonSchema,
  type PlanJson,
  type PlanNodeJson,
} from './plan-json.js';
export { renderPlanMermaid, mermaidId } from './render-mermaid.js';
