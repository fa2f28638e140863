import { Inject } from '@nestjs/common';
import { getServiceClientToken } from './discovery.constants.js';

/** Injects the `ServiceClient` of `service`, registered with `GracefulDiscoveryModule.forFeature([service])`. */
export const InjectServiceClient = (service: string): ParameterDecorator & PropertyDecorator =>
  Inject(getServiceClientToken(service));
