// Wires the control plane: file source, registry, discovery server, monitoring server.
import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatIssue } from '@skiff/api';
import { writeBootstrapTokens } from '@skiff/launcher';
import { TraceStore, type DashboardEvents, type Logger } from '@skiff/telemetry';
import { loadDashboardAssets, type DashboardAssets } from './dashboard/dashboard-assets.js';
import { startDashboardServer } from './dashboard/dashboard-server.js';
import { EventStream } from './dashboard/event-stream.js';
import { MeshWatch } from './dashboard/mesh-watch.js';
import { createTraceForwarder } from './dashboard/trace-forwarder.js';
import { startMonitoringServer } from './admin/monitoring-server.js';
import { TestIssuer } from './admin/test-issuer.js';
import { ScenarioBoard } from './dashboard/scenario-board.js';
import { ConfigAnalysis } from './config/analysis.js';
import { FileConfigSource, type ConfigSet } from './config/file-source.js';
import { certificateServiceDefinition } from '@skiff/protocol';
import { BootstrapTokens } from './ca/bootstrap-tokens.js';
import { loadOrCreateCa } from './ca/ca-store.js';
import { certificateServiceHandlers, type CredentialCheck, type IssuedCertificate } from './ca/certificate-service.js';
import { loadOrCreateCaSecret } from './kube/ca-secret.js';
import { createKubeMode } from './kube/kube-mode.js';
import { RootCertPublisher } from './kube/root-cert-publisher.js';
import { startWebhook } from './webhook/webhook-setup.js';
import { DiscoveryServer } from './discovery/discovery-server.js';
import { WorkloadRegistry } from './discovery/registry.js';
import { loadSavedRegistry, saveRegistryOnChange } from './discovery/registry-store.js';
import { ServingCertificate } from './discovery/serving-certificate.js';
import { MeshToken } from './admin/mesh-token.js';
import type { ControlPlaneFlags } from './flags.js';
import { createControlPlaneMetrics } from './metrics.js';

export interface RunningControlPlane {
  ports: { xds: number; plaintextXds?: number; monitoring: number; dashboard?: number; webhook?: number };
  config(): ConfigSet;
  discovery: DiscoveryServer;
  close(): Promise<void>;
}

export async function startControlPlane(flags: ControlPlaneFlags, logger: Logger): Promise<RunningControlPlane> {
  const registry = new WorkloadRegistry(flags.graceMs);
  let current: ConfigSet = { resources: [], issues: [], files: [] };
  // The discovery server needs the loaded config, and the file source needs to tell it about changes.
  const late: { discovery?: DiscoveryServer; watch?: MeshWatch; rootCerts?: RootCertPublisher } = {};
  let configLoadedAt = new Date();
  const analysis = new ConfigAnalysis(logger);
  const warmupUntil = Date.now() + flags.warmupMs;
  // Checks against the registry wait for the discovery server's warm-up: until then the registry is still filling.
  const analyse = () => analysis.update(current, late.discovery?.warmedUp ? registry.list() : undefined);
  const metrics = createControlPlaneMetrics(() => [...(late.discovery?.connections ?? [])].map((c) => c.workload));
  const onConfigChange = (set: ConfigSet, changed: string[]) => {
    current = set;
    const fresh = set.issues.filter((i) => changed.some((f) => i.file.endsWith(f)));
    for (const issue of fresh) logger[issue.severity === 'error' ? 'error' : 'warn']({ issue }, formatIssue(issue));
    const rejected = set.files.filter((f) => f.rejected && changed.some((c) => f.file.endsWith(c)));
    for (const f of rejected) logger.error({ file: f.file }, `${f.file} rejected; its last good version stays in force`);
    metrics.validationFailed(rejected.length);
    logger.info({ changed, resources: set.resources.length }, 'config changed');
    configLoadedAt = new Date();
    analyse();
    late.discovery?.schedulePush(0);
    late.watch?.publishConfig();
  };
  const kube = flags.kubernetes
    ? createKubeMode(flags.kubernetes, {
        trustDomain: flags.trustDomain,
        logger,
        onChange: onConfigChange,
        onEndpoints: (namespaces) => {
          for (const namespace of namespaces) void late.rootCerts?.ensure(namespace);
          late.discovery?.schedulePush();
        },
      })
    : undefined;
  const source = kube?.source ?? new FileConfigSource(resolve(flags.configDir), onConfigChange, { limits: flags.configLimits, logger });
  current = await source.start();
  metrics.validationFailed(current.files.filter((f) => f.rejected).length);
  analyse();
  let analysisTimer: NodeJS.Timeout | undefined;
  const analyseSoon = () => {
    clearTimeout(analysisTimer);
    analysisTimer = setTimeout(analyse, 250).unref();
  };
  registry.onChange(analyseSoon);
  setTimeout(analyse, Math.max(0, flags.warmupMs)).unref();
  const caSecret = flags.kubernetes?.caSecret;
  const ca =
    kube && caSecret
      ? await loadOrCreateCaSecret(kube.kubeConfig, { namespace: kube.namespace, name: caSecret, trustDomain: flags.trustDomain, logger })
      : await loadOrCreateCa({ trustDomain: flags.trustDomain, dir: resolve(flags.caDir), certFile: flags.caCert, keyFile: flags.caKey, logger });
  if (flags.issueTokens) {
    const written = writeBootstrapTokens(resolve(flags.issueTokens.dir), flags.issueTokens.accounts, { groupReadable: true });
    if (flags.tokens && resolve(flags.tokens) !== written.tokensFile) logger.warn({ tokens: flags.tokens }, '--tokens is replaced by the tokens --issue-tokens wrote');
    flags = { ...flags, tokens: written.tokensFile };
    logger.info({ dir: flags.issueTokens?.dir, workloads: Object.keys(written.tokenFiles) }, 'CA: bootstrap tokens written for the workloads');
  }
  const bootstrap = new BootstrapTokens(flags.tokens, flags.trustDomain);
  // In Kubernetes, pods show their projected service-account token; bootstrap tokens still work for proxies outside the cluster.
  const tokens: CredentialCheck = kube
    ? {
        entitlements: async (token) => {
          const fromFile = bootstrap.entitlements(token);
          return fromFile.length > 0 ? fromFile : kube.reviewer.entitlements(token);
        },
      }
    : bootstrap;
  if (bootstrap.size === 0 && !kube) logger.warn('CA: no bootstrap tokens (--tokens); proxies cannot get certificates, so only the plaintext discovery port (--plaintext-xds-port), if open, serves them');
  if (flags.issueTokens) {
    // Compose: the sidecars verify the discovery port against this root, from the tokens volume.
    writeFileSync(join(resolve(flags.issueTokens.dir), 'root-cert.pem'), ca.rootCertPem, { mode: 0o644 });
  }
  if (flags.registryFile) registry.restore(loadSavedRegistry(resolve(flags.registryFile), logger), flags.restoreWindowMs);
  // The warm-up ends as soon as every registration the control plane knew of is back: the
  // saved registry's (file mode), or a proxy at every address Kubernetes lists as ready.
  const registryComplete = kube
    ? () => {
        const registered = new Set(registry.list().map((w) => `${w.namespace} ${w.address}`));
        return kube.readyAddresses().every((a) => registered.has(`${a.namespace} ${a.address}`));
      }
    : () => registry.awaitingReconnect === 0;
  const stopSaving = flags.registryFile ? saveRegistryOnChange(registry, resolve(flags.registryFile), logger) : () => undefined;
  // Compose: the sidecars read the mesh token from the tokens volume, as their own tokens (group-readable).
  const writes = flags.meshTokenFile ? MeshToken.loadOrCreate(resolve(flags.meshTokenFile), flags.issueTokens ? 0o640 : 0o600) : new MeshToken(undefined);
  if (!writes.configured) logger.info('the control plane takes no writes (no --mesh-token-file): scenario reports and spans sent to it are refused');
  const serving = await ServingCertificate.start({ ca, namespace: kube?.namespace ?? 'skiff-system', extraNames: flags.discoverySans, logger });
  const discovery = new DiscoveryServer({
    registry,
    logger,
    resources: () => current.resources,
    warmupUntil,
    registryComplete,
    trustDomain: flags.trustDomain,
    outboundTrafficPolicy: flags.outboundTrafficPolicy,
    tls: serving.provider,
    // In Kubernetes endpoints come from EndpointSlices, not from what a proxy announces.
    entitlements: kube ? () => 'any' : (namespace, serviceAccount) => bootstrap.servicesFor(namespace, serviceAccount),
    metrics: metrics.discovery,
    ...(kube ? { serving: kube.serving } : {}),
  });
  late.discovery = discovery;
  analyse(); // now with the registry, if there is no warm-up to wait for
  const issued: IssuedCertificate[] = [];
  discovery.addService(
    certificateServiceDefinition(),
    certificateServiceHandlers({
      ca,
      tokens,
      logger,
      defaultTtlMs: flags.certTtlMs,
      maxTtlMs: flags.maxCertTtlMs,
      onCsr: metrics.csrReceived,
      onIssued: (spiffeId, notAfter) => {
        metrics.certificateIssued();
        issued.push({ spiffeId, notAfter: notAfter.toISOString(), issuedAt: new Date().toISOString() });
        if (issued.length > 500) issued.shift();
      },
    }),
  );
  // Kubernetes: pods mount the mesh root from ConfigMap istio-ca-root-cert in their namespace.
  const rootCerts = kube ? new RootCertPublisher(kube.kubeConfig, ca.rootCertPem, logger) : undefined;
  late.rootCerts = rootCerts;
  if (kube && rootCerts) {
    void rootCerts.ensure(kube.namespace);
    for (const namespace of new Set(kube.readyAddresses().map((a) => a.namespace))) void rootCerts.ensure(namespace);
  }
  const webhook = kube && flags.kubernetes?.webhookPort !== undefined ? await startWebhook(flags, ca, kube.kubeConfig, logger, (namespace) => rootCerts?.ensure(namespace) ?? Promise.resolve()) : undefined;
  const traces = new TraceStore();
  const events = new EventStream<DashboardEvents>();
  const watch = new MeshWatch({ discovery, config: () => current, analysis: () => analysis.findings, configLoadedAt: () => configLoadedAt, traces, events, logger });
  late.watch = watch;
  const scenarios = new ScenarioBoard(events);
  let monitoring: Server | undefined;
  let dashboard: Server | undefined;
  try {
    const xds = await discovery.listen(`${flags.bind}:${flags.xdsPort}`);
    const plaintextXds = flags.plaintextXdsPort !== undefined ? await discovery.listenPlaintext(`${flags.bind}:${flags.plaintextXdsPort}`) : undefined;
    monitoring = await startMonitoringServer({
      host: flags.bind,
      port: flags.monitoringPort,
      config: () => current,
      analysis: () => analysis.findings,
      configDir: flags.configDir,
      registry,
      discovery,
      startedAt: new Date(),
      traces,
      scenarios,
      writes,
      // Tokens for `skiff test --live`, wherever writes are authenticated (local and compose modes).
      ...(writes.configured ? { testIssuer: new TestIssuer() } : {}),
      ...(flags.traceForward ? { forwardTraces: createTraceForwarder(flags.traceForward, logger) } : {}),
      metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
      ca: { trustDomain: flags.trustDomain, rootCertPem: ca.rootCertPem, notAfter: ca.notAfter, issued },
    });
    const address = monitoring.address();
    const ports: RunningControlPlane['ports'] = { xds, ...(plaintextXds !== undefined ? { plaintextXds } : {}), monitoring: typeof address === 'object' && address ? address.port : flags.monitoringPort, ...(webhook ? { webhook: webhook.port } : {}) };
    if (flags.dashboardPort !== undefined) {
      let assets: DashboardAssets | undefined;
      let assetsProblem: string | undefined;
      try {
        assets = await loadDashboardAssets(flags.dashboardDir);
      } catch (error) {
        assetsProblem = error instanceof Error ? error.message : String(error);
        logger.warn({ problem: assetsProblem }, 'dashboard: browser files not found; the dashboard port serves the JSON API only');
      }
      dashboard = await startDashboardServer({ host: flags.bind, port: flags.dashboardPort, assets, assetsProblem, watch, traces, events, scenarios });
      const d = dashboard.address();
      ports.dashboard = typeof d === 'object' && d ? d.port : flags.dashboardPort;
      watch.start();
    }
    const running = discovery;
    return {
      ports,
      config: () => current,
      discovery: running,
      async close() {
        await source.stop();
        await kube?.elector.stop();
        await webhook?.close();
        registry.stop();
        stopSaving();
        serving.stop();
        clearTimeout(analysisTimer);
        await running.close();
        watch.stop();
        events.close();
        dashboard?.closeAllConnections();
        await new Promise<void>((r) => (dashboard ? dashboard.close(() => r()) : r()));
        await new Promise<void>((r) => monitoring?.close(() => r()));
      },
    };
  } catch (error) {
    registry.stop();
    stopSaving();
    serving.stop();
    await source.stop();
    await kube?.elector.stop();
    await webhook?.close();
    await discovery.close();
    monitoring?.close();
    dashboard?.close();
    events.close();
    throw error;
  }
}
