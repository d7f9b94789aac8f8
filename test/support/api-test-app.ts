import { createTestApp, type TestApp } from './test-app';

export type ApiTestApp = TestApp;

/** The API alone (no worker in this process): `createTestApp({ withWorker: false })`, the demo routing rule left out. */
export function createApiTestApp(options: { env?: Record<string, string> } = {}): Promise<ApiTestApp> {
  return createTestApp({ ...options, withWorker: false });
}
