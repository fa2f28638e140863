/** Where the registration of the instance stands; readiness may depend on it. */
export type RegistrationStatus = 'none' | 'pending' | 'registered' | 'failed' | 'deregistered';
