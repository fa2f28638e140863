/** Every phase of a stop, in the order of the phase table (docs/lifecycle.md), written out independently of src/. */
export const ALL_PHASES = [
  'unready',
  'beforeStop',
  'deregister',
  'delay',
  'close',
  'drain',
  'disconnect',
  'teardown',
  'afterStop',
  'release',
] as const;

export type PhaseName = (typeof ALL_PHASES)[number];

/** The phase table without `left` (a stop without hooks or registry leaves those out). */
export function phasesWithout(...left: PhaseName[]): PhaseName[] {
  return ALL_PHASES.filter((phase) => !left.includes(phase));
}
