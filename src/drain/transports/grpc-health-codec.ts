/**
 * The two messages of `grpc.health.v1` (health.proto), encoded by hand so the library
 * needs neither a .proto file nor a protobuf runtime:
 * `HealthCheckRequest { string service = 1; }`, `HealthCheckResponse { ServingStatus status = 1; }`.
 */
export enum ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  /** Watch only: the service is not known (yet). */
  SERVICE_UNKNOWN = 3,
}

export interface HealthCheckRequest {
  service: string;
}

export interface HealthCheckResponse {
  status: ServingStatus;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

function readVarint(buffer: Buffer, offset: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < buffer.length; i++) {
    const byte = buffer[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, i + 1];
    shift += 7;
  }
  throw new Error('truncated varint in a HealthCheckRequest');
}

/** Reads field 1 and skips any other (unknown fields are allowed by protobuf). */
export function decodeHealthCheckRequest(buffer: Buffer): HealthCheckRequest {
  let service = '';
  let offset = 0;
  while (offset < buffer.length) {
    const [key, afterKey] = readVarint(buffer, offset);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === WIRE_VARINT) offset = readVarint(buffer, afterKey)[1];
    else if (wire === WIRE_FIXED64) offset = afterKey + 8;
    else if (wire === WIRE_FIXED32) offset = afterKey + 4;
    else if (wire === WIRE_LENGTH) {
      const [length, start] = readVarint(buffer, afterKey);
      offset = start + length;
      if (field === 1) service = buffer.toString('utf8', start, offset);
    } else throw new Error(`unsupported protobuf wire type ${wire} in a HealthCheckRequest`);
  }
  if (offset > buffer.length) throw new Error('truncated HealthCheckRequest');
  return { service };
}

export function encodeHealthCheckResponse(response: HealthCheckResponse): Buffer {
  // proto3 leaves a field at its default (0) out; field 1 as a varint, and every status fits one byte.
  return response.status === ServingStatus.UNKNOWN ? Buffer.alloc(0) : Buffer.from([0x08, response.status]);
}

const HEALTH_SERVICE = 'grpc.health.v1.Health';

function method(name: 'Check' | 'Watch', responseStream: boolean) {
  return {
    path: `/${HEALTH_SERVICE}/${name}`,
    requestStream: false,
    responseStream,
    // The server side only: grpc-js reads requests and writes responses.
    requestDeserialize: decodeHealthCheckRequest,
    responseSerialize: encodeHealthCheckResponse,
    originalName: name.toLowerCase(),
  };
}

/** `grpc.health.v1.Health` as a grpc-js server-side service definition. */
export const HEALTH_SERVICE_DEFINITION = { Check: method('Check', false), Watch: method('Watch', true) };

/** The health probe, which is not work to drain (a Watch stream is: its last status must get out). */
export const HEALTH_CHECK_PATH = HEALTH_SERVICE_DEFINITION.Check.path;
