import { Inject } from '@nestjs/common';
import type { ServiceInstance } from '../registry/service-instance.interface.js';

/**
 * The running instance (kratos `AppInfo`). `endpoints` is filled in once the HTTP server
 * really listens, unless the `endpoints` option fixed it.
 */
export type AppInfo = ServiceInstance;

export const APP_INFO = Symbol('nestjs-graceful:APP_INFO');

/** Injects the {@link AppInfo} of this app. */
export const InjectAppInfo = (): PropertyDecorator & ParameterDecorator => Inject(APP_INFO);
