/** Injection token of the module's Discovery (`@Inject(DISCOVERY)`). */
export const DISCOVERY = 'nestjs-graceful:discovery';

/** The injection token of the client of `service`, as `forFeature()` provides it. */
export function getServiceClientToken(service: string): string {
  return `nestjs-graceful:service-client:${service}`;
}
