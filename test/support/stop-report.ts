import type { StopReport } from '../../src/lifecycle/stop-report';

/** The `stop report {json}` line a spawned app printed at the end of its stop; throws if there is none. */
export function stopReportOf(output: string): StopReport {
  const match = /stop report (\{.*\})/.exec(output);
  if (!match) throw new Error(`no stop report in the output:\n${output}`);
  return JSON.parse(match[1]!) as StopReport;
}
