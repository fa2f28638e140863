import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  decodeHealthCheckRequest,
  encodeHealthCheckResponse,
  HEALTH_SERVICE_DEFINITION,
  ServingStatus,
} from '../../src/drain/transports/grpc-health-codec';

const root = protobuf.loadSync(join(__dirname, '..', 'fixtures', 'grpc', 'health.proto'));
const Request = root.lookupType('grpc.health.v1.HealthCheckRequest');
const Response = root.lookupType('grpc.health.v1.HealthCheckResponse');

describe('the hand-encoded grpc.health.v1 messages agree with protobufjs and health.proto', () => {
  it.each(['', 'orders.Orders', 'ünïcode.Sérvice', 'x'.repeat(300)])(
    'decodes a HealthCheckRequest for %j',
    (service) => {
      const bytes = Buffer.from(Request.encode(Request.create({ service })).finish());
      expect(decodeHealthCheckRequest(bytes)).toEqual({ service });
    },
  );

  it('skips fields it does not know, of every wire type', () => {
    const writer = protobuf.Writer.create();
    writer.uint32((7 << 3) | 0).uint64(1234567890123);
    writer.uint32((8 << 3) | 1).fixed64(42);
    writer.uint32((9 << 3) | 5).fixed32(7);
    writer.uint32((1 << 3) | 2).string('orders.Orders');
    writer.uint32((10 << 3) | 2).bytes(Buffer.from('ignored'));
    expect(decodeHealthCheckRequest(Buffer.from(writer.finish()))).toEqual({ service: 'orders.Orders' });
  });

  it('rejects a truncated request', () => {
    const bytes = Buffer.from(Request.encode(Request.create({ service: 'orders.Orders' })).finish());
    expect(() => decodeHealthCheckRequest(bytes.subarray(0, 5))).toThrow(/truncated/);
  });

  it.each([ServingStatus.UNKNOWN, ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVICE_UNKNOWN])(
    'encodes a HealthCheckResponse with status %i',
    (status) => {
      expect(Response.toObject(Response.decode(encodeHealthCheckResponse({ status })), { defaults: true })).toEqual({
        status,
      });
    },
  );

  it('has the paths and streaming kinds proto-loader gives health.proto', () => {
    const loaded = loadSync(join(__dirname, '..', 'fixtures', 'grpc', 'health.proto'))[
      'grpc.health.v1.Health'
    ] as Record<string, { path: string; requestStream: boolean; responseStream: boolean }>;
    for (const name of ['Check', 'Watch'] as const) {
      const { path, requestStream, responseStream } = HEALTH_SERVICE_DEFINITION[name];
      expect({ path, requestStream, responseStream }).toEqual({
        path: loaded[name]!.path,
        requestStream: loaded[name]!.requestStream,
        responseStream: loaded[name]!.responseStream,
      });
    }
  });
});
