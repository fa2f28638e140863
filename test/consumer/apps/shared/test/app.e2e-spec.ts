import type { INestApplication } from '@nestjs/common';
import { GracefulLifecycle } from 'nestjs-graceful';
import request from 'supertest';
import { createTestingApp } from './create-testing-app.js';

const signalListeners = () => ({ SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') });

describe('the app under test', () => {
  const listenersBefore = signalListeners();
  let app: INestApplication;

  beforeAll(async () => {
    app = await createTestingApp();
    await app.listen(0, '127.0.0.1');
  });

  it('serves a request and answers ready', async () => {
    await request(app.getHttpServer()).get('/slow?ms=10').expect(200, { waited: 10 });
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });

  it('closes and leaves no signal listener behind', async () => {
    const lifecycle = app.get(GracefulLifecycle);
    await app.close();
    expect(lifecycle.state).toBe('stopped');
    expect(signalListeners()).toEqual(listenersBefore);
  });
});
