// Types for the parts of the third-party `open311` client (codeforamerica/node-open311 0.0.12) the tests use.
declare module 'open311' {
  type Callback = (err: unknown, data: any) => void;
  interface Open311Options {
    endpoint?: string;
    discovery?: string;
    apiKey?: string;
    jurisdiction?: string;
    format?: 'json' | 'xml';
  }
  class Open311 {
    constructor(options: Open311Options);
    endpoint: string;
    format: 'json' | 'xml';
    serviceDiscovery(options: Record<string, unknown>, callback: Callback): void;
    serviceList(callback: Callback): void;
    serviceDefinition(serviceCode: string, callback: Callback): void;
    submitRequest(data: Record<string, unknown>, callback: Callback): void;
    serviceRequests(serviceRequestId: string | string[] | Record<string, unknown>, params?: Record<string, unknown> | Callback, callback?: Callback): void;
  }
  export = Open311;
}
