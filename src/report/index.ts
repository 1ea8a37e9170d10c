/** The review report: `kontext report` and the page `kontext run --watch --serve` serves. */
export { writeReport, writeReportFor } from './write.js';
export type { ReportOptions, WrittenReport } from './write.js';
export type { ReportData, ReportNode, ReportPass, ReportRow, CellState } from './types.js';
