import { busyLoops } from './busy-loops';
import { lossUnderStop, type StopRun } from './loss-under-stop';
import { PLATFORMS, type BenchPlatform } from './variants';

/**
 * `npm run stress [-- --runs N] [-- --platform express|fastify]`: the process test
 * "keep-alive clients looping through the stop see no failure" (16 clients on
 * GET /slow?ms=2, shutdownDelay 300 ms, SIGTERM once 100 requests were answered) run N
 * times (default 50, platforms alternating), while two busy-loop processes compete for
 * the cores. A run passes with no failed request, all 16 clients refused after the
 * listener closed, exit code 0 and a report with nothing aborted. Prints `passed/N passed`;
 * exits 1 unless all passed.
 */
const CLIENTS = 16;
/** The SIGTERM comes once the load is well under way, however slow the loaded machine is. */
const SIGTERM_AFTER_ANSWERS = 100;
const PATH = '/slow?ms=2';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function parseOptions(): { runs: number; platforms: readonly BenchPlatform[] } {
  const runs = Number(option('runs') ?? 50);
  const platform = option('platform');
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${option('runs')}`);
  if (platform !== undefined && !PLATFORMS.includes(platform as BenchPlatform)) {
    throw new Error(`--platform must be one of ${PLATFORMS.join(', ')}, got ${platform}`);
  }
  return { runs, platforms: platform ? [platform as BenchPlatform] : PLATFORMS };
}

/** What is wrong with a run; empty when it passed. */
function problems(run: StopRun): string[] {
  const found: string[] = [];
  if (run.failures.length > 0) found.push(`${run.failures.length} failed: ${[...new Set(run.failures)].join(', ')}`);
  if (run.refused !== CLIENTS) found.push(`${run.refused}/${CLIENTS} refused`);
  if (run.exitCode !== 0) found.push(`exit code ${run.exitCode}`);
  const report = run.stopReport ? (JSON.parse(run.stopReport) as { aborted: unknown[] }) : undefined;
  if (!report) found.push('no stop report');
  else if (report.aborted.length > 0) found.push(`aborted ${JSON.stringify(report.aborted)}`);
  return found;
}

/** What the app logged from the stop on, indented: the sequence of a failed run. */
function drainLines(output: string): string {
  const lines = output.split('\n');
  const from = lines.findIndex((line) => line.includes('stop ('));
  return lines
    .slice(Math.max(0, from))
    .map((line) => `    ${line.replace(/^.*\[Graceful\] /, '')}`)
    .join('\n');
}

async function main(): Promise<void> {
  const { runs, platforms } = parseOptions();
  const hogs = busyLoops();
  const stopHogs = () => hogs.forEach((hog) => hog.kill('SIGKILL'));
  process.once('SIGINT', () => {
    stopHogs();
    process.exit(130);
  });
  let passed = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const platform = platforms[i % platforms.length]!;
      const run = await lossUnderStop(platform, CLIENTS, { answered: SIGTERM_AFTER_ANSWERS }, PATH);
      const found = problems(run);
      if (found.length === 0) passed++;
      const drained = run.stopReport ? (JSON.parse(run.stopReport) as { drained: number }).drained : '-';
      console.log(
        `run ${i + 1}/${runs} ${platform.padEnd(7)} answered ${String(run.ok).padStart(5)}  refused ${run.refused}  ` +
          `exit ${run.exitCode}  stop ${run.stopMs} ms  drained ${drained}  ` +
          `${found.length === 0 ? 'pass' : `FAIL: ${found.join('; ')}`}`,
      );
      if (found.length > 0) console.log(drainLines(run.output));
    }
  } finally {
    stopHogs();
  }
  console.log(`${passed}/${runs} passed`);
  if (passed !== runs) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exitCode = 2;
});
