/** Change maps and the changed-area metric (docs/architecture.md#change-maps-and-drift). */
export { Reviewer, UnreviewableImage } from './reviewer.js';
export { METRIC } from './metric.js';
export { whyUndecodable } from './images.js';
