/** The review report: `kontext report` and the page `kontext run --watch --serve` serves. */
export { writeReport } from './write.js';
export type { ReportDeps, ReportOptions, WrittenReport } from './write.js';
export type { ReportData } from './types.js';
export { startReportServer } from './serve/server.js';
export { DEFAULT_REPORT_PORT } from './serve/listen.js';
export type { ReportServer, ReportServerOptions } from './serve/server.js';
