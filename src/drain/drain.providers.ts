import type { Provider } from '@nestjs/common';
import { DrainLedger } from './drain-ledger';
import { DrainService } from './drain.service';
import { GracefulInterceptor } from './graceful.interceptor';
import { StopSignals } from './stop-signals.service';
import { WorkTracker } from './work-tracker.service';

/** @internal The drain's providers, one set per app: they share one ledger. */
export const DRAIN_PROVIDERS: Provider[] = [DrainLedger, StopSignals, WorkTracker, GracefulInterceptor, DrainService];
