import { loadavg } from 'node:os';

/** The machine's 1, 5 and 15 minute load averages: other work on it skews every figure. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** A positive number from the environment, else `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** A whole number ≥ 1 from the environment, else `fallback`. */
export function envInt(name: string, fallback: number): number {
  return Math.max(1, Math.round(envNumber(name, fallback)));
}
