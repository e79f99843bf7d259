// What an app in explicit-proxy mode is told about its sidecar: the outbound listener as its HTTP
// and HTTPS proxy (CONNECT), in the spellings curl, Go, Python, grpc-js (grpc_proxy) and Node 24's
// fetch (NODE_USE_ENV_PROXY) read, and SKIFF_OUTBOUND_PROXY for the samples. Loopback is left
// direct, so the app's own health checks and local tools do not go through the mesh. Shared by
// `skiff up`'s WorkloadEntries, `skiff run` and `skiff inject` for compose.

export function outboundProxyEnv(proxy: string): Record<string, string> {
  return {
    SKIFF_OUTBOUND_PROXY: proxy,
    HTTP_PROXY: proxy,
    http_proxy: proxy,
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    grpc_proxy: proxy,
    NO_PROXY: 'localhost,127.0.0.1,::1',
    no_proxy: 'localhost,127.0.0.1,::1',
    NODE_USE_ENV_PROXY: '1',
  };
}
