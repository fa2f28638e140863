import type { Provider } from '@nestjs/common';
import { DrainLedger } from './drain-ledger.js';
import { DrainService } from './drain.service.js';
import { GracefulInterceptor } from './graceful.interceptor.js';
import { StopSignals } from './stop-signals.service.js';
import { WorkTracker } from './work-tracker.service.js';

/** @internal The drain's providers, one set per app: they share one ledger. */
export const DRAIN_PROVIDERS: Provider[] = [DrainLedger, StopSignals, WorkTracker, GracefulInterceptor, DrainService];
