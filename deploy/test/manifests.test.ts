/**
 * Static checks of the Kubernetes manifests (deploy/k8s): no cluster is needed or contacted. Every YAML
 * file parses; every server Deployment has probes on the servers' real /ready and /health, resources,
 * and an environment its own configuration reader accepts (the same function the server runs at start);
 * Services, HPAs, Secrets and the blue-green pair are wired to each other. `kubectl kustomize` renders
 * the whole set when kubectl is installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ConfigError, type Env } from '@recs/core';
import { readGatewayConfig } from '@recs/gateway';
import { readExperimentsConfig } from '@recs/subgraph-experiments';
import { readFeaturesConfig } from '@recs/subgraph-features';
import { readRecommendationsConfig } from '@recs/subgraph-recommendations';
import { readWorkers } from '@recs/subgraph-kit/workers';

const deployDir = join(import.meta.dirname, '..');
const k8sDir = join(deployDir, 'k8s');
const repoRoot = join(deployDir, '..');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Quantities {
  cpu?: string;
  memory?: string;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Quantities; limits?: Quantities };
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[] };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    template?: PodTemplate;
    jobTemplate?: { spec: { template: PodTemplate } };
    ports?: { name: string; port: number; targetPort: string | number }[];
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: { type: string; resource?: { name: string }; external?: { metric: { name: string } } }[];
  };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function parseFile(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(docs)) return []; // an empty file
  for (const doc of docs) {
    assert.deepEqual([...doc.errors, ...doc.warnings], [], `${relative(repoRoot, path)} parses cleanly`);
  }
  return docs.map((doc) => doc.toJS() as unknown).filter((js) => js !== null);
}

const kustomization = parseFile(join(k8sDir, 'kustomization.yaml'))[0] as { resources: string[] };
const manifests: Manifest[] = kustomization.resources.flatMap(
  (file) => parseFile(join(k8sDir, file)) as Manifest[],
);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) => ofKind(kind).find((m) => m.metadata.name === name);
const configMap = named('ConfigMap', 'recs-config')!;
const secret = named('Secret', 'recs-secrets')!;

/** Valid stand-ins for the secrets, so the configuration readers can run on the manifests' env. */
const SECRET_STAND_INS: Record<string, string> = {
  GATEWAY_SECRET: 'g'.repeat(32),
  JWT_SECRET: 'j'.repeat(40),
  API_KEYS: `ops:admin:${'k'.repeat(32)}`,
  AUTOMATION_API_KEY: 'k'.repeat(32),
  NEO4J_PASSWORD: 'a-neo4j-password',
};

/** The servers by the script their container runs, with the reader each runs at start. */
const SERVERS: Record<string, (e: Env) => { port: number; host: string; redisUrl?: string }> = {
  'gateway/src/main.ts': readGatewayConfig,
  'subgraphs/recommendations/src/main.ts': readRecommendationsConfig,
  'subgraphs/features/src/main.ts': readFeaturesConfig,
  'subgraphs/experiments/src/main.ts': readExperimentsConfig,
};

/** The environment a container starts with: envFrom ConfigMaps, then env (which wins). */
function containerEnv(pod: PodTemplate, container: Container, secrets: Record<string, string>): Env {
  const out: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    assert.equal(from.configMapRef?.name, 'recs-config', `${container.name}: envFrom names recs-config`);
    Object.assign(out, configMap.data);
  }
  for (const v of container.env ?? []) {
    const ref = v.valueFrom;
    if (ref?.secretKeyRef) out[v.name] = secrets[ref.secretKeyRef.key]!;
    else if (ref?.fieldRef) {
      const label = /^metadata\.labels\['(.+)'\]$/.exec(ref.fieldRef.fieldPath)?.[1];
      assert.ok(
        label && pod.metadata.labels[label],
        `${container.name}: ${v.name} reads a label the pod has`,
      );
      out[v.name] = pod.metadata.labels[label];
    } else out[v.name] = v.value ?? '';
  }
  return out;
}

function serverOf(container: Container): string | undefined {
  return container.command?.find((arg) => arg in SERVERS);
}

test('every YAML file under deploy/ parses; kustomization lists every manifest in deploy/k8s', () => {
  const files = yamlFiles(deployDir);
  assert.ok(files.length >= 10, `found ${files.length} YAML files`);
  for (const file of files) assert.ok(parseFile(file).length > 0, `${relative(repoRoot, file)} is not empty`);
  const top = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  assert.deepEqual([...kustomization.resources].sort(), top.sort());
  for (const m of manifests) {
    assert.ok(m.apiVersion && m.kind && m.metadata?.name, `a ${m.kind} has apiVersion, kind, name`);
  }
});

test('each server runs as a Deployment with probes on /ready and /health, resources and a valid env', () => {
  const found = new Set<string>();
  for (const d of ofKind('Deployment')) {
    const pod = d.spec!.template!;
    assert.deepEqual(
      Object.entries(d.spec!.selector!.matchLabels!).filter(([k, v]) => pod.metadata.labels[k] !== v),
      [],
      `${d.metadata.name}: the selector matches its pods`,
    );
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      const where = `${d.metadata.name}/${c.name}`;
      for (const kind of ['requests', 'limits'] as const) {
        assert.ok(c.resources?.[kind]?.cpu && c.resources[kind].memory, `${where}: cpu and memory ${kind}`);
      }
    }
    for (const c of pod.spec.containers) {
      const where = `${d.metadata.name}/${c.name}`;
      const script = serverOf(c);
      assert.ok(script, `${where} runs one of the four servers`);
      found.add(script);
      assert.equal(c.readinessProbe?.httpGet?.path, '/ready', `${where}: readiness on /ready`);
      assert.equal(c.livenessProbe?.httpGet?.path, '/health', `${where}: liveness on /health`);
      const portNames = (c.ports ?? []).map((p) => p.name);
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        if (probe)
          assert.ok(portNames.includes(String(probe.httpGet!.port)), `${where}: probe on a named port`);
      }
      const env = containerEnv(pod, c, SECRET_STAND_INS);
      const config = SERVERS[script]!(env);
      assert.equal(config.host, '0.0.0.0', `${where}: listens on the pod IP`);
      assert.equal(config.port, c.ports![0]!.containerPort, `${where}: listens on its container port`);
      assert.doesNotThrow(() => readWorkers(env, { memoryState: !config.redisUrl }), `${where}: WORKERS`);
      if (script !== 'gateway/src/main.ts') assert.ok(config.redisUrl, `${where}: on Redis, not embedded`);
      // The placeholders of the committed Secret are refused, so a forgotten one stops the pod.
      assert.throws(() => SERVERS[script]!(containerEnv(pod, c, secret.stringData!)), ConfigError);
    }
  }
  assert.deepEqual([...found].sort(), Object.keys(SERVERS).sort(), 'all four servers are deployed');
});

test('the probed paths are served by the gateway and by every subgraph', () => {
  for (const file of ['gateway/src/Gateway.ts', 'packages/subgraph-kit/src/buildSubgraphApp.ts']) {
    const source = readFileSync(join(repoRoot, file), 'utf8');
    for (const path of ['/ready', '/health'])
      assert.ok(source.includes(`'${path}'`), `${file} serves ${path}`);
  }
});

test('the Secret holds placeholders only, and every reference names one of its keys', () => {
  for (const [key, value] of Object.entries(secret.stringData ?? {})) {
    assert.equal(value, 'REPLACE', `${key} is a placeholder`);
  }
  assert.equal(secret.data, undefined, 'no base64 values');
  for (const key of ['GATEWAY_SECRET', 'JWT_SECRET', 'API_KEYS']) assert.ok(key in secret.stringData!, key);
  const refs = JSON.stringify(manifests).matchAll(/"secretKeyRef":\{"name":"([^"]+)","key":"([^"]+)"\}/g);
  let count = 0;
  for (const [, name, key] of refs) {
    count++;
    assert.equal(name, 'recs-secrets');
    assert.ok(key! in secret.stringData!, `recs-secrets has ${key}`);
  }
  assert.ok(count >= 8, `${count} secret references`);
});

test('Services select pods that exist and target their named ports', () => {
  const workloads = [...ofKind('Deployment'), ...ofKind('StatefulSet')];
  for (const s of ofKind('Service')) {
    const selector = s.spec!.selector!;
    const targets = workloads.filter((w) =>
      Object.entries(selector).every(([k, v]) => w.spec!.template!.metadata.labels[k] === v),
    );
    assert.ok(targets.length > 0, `${s.metadata.name} selects a workload`);
    for (const p of s.spec!.ports!) {
      const ports = targets.flatMap((t) => t.spec!.template!.spec.containers.flatMap((c) => c.ports ?? []));
      assert.ok(
        ports.some((cp) => cp.name === p.targetPort),
        `${s.metadata.name}: port ${p.targetPort} exists`,
      );
    }
  }
  // The gateway reaches each subgraph through a Service with the name and port of its URL.
  for (const key of ['RECOMMENDATIONS_URL', 'FEATURES_URL', 'EXPERIMENTS_URL']) {
    const url = new URL(configMap.data![key]!);
    const service = named('Service', url.hostname);
    assert.ok(service, `${key}: Service ${url.hostname}`);
    assert.equal(service.spec!.ports![0]!.port, Number(url.port), `${key}: port`);
  }
});

test('blue-green: two recommendations colours pinned by label, the Service selects exactly one', () => {
  const colours = ofKind('Deployment').filter((d) => d.metadata.name.startsWith('recs-recommendations-'));
  assert.deepEqual(colours.map((d) => d.spec!.template!.metadata.labels['recs/slot']).sort(), [
    'blue',
    'green',
  ]);
  for (const d of colours) {
    const pod = d.spec!.template!;
    assert.match(
      pod.metadata.labels['recs/model-version']!,
      /^(REPLACE-with-a-model-version|v\d{8}T\d{6}Z-[0-9a-f]{8})$/,
    );
    const pin = pod.spec.initContainers?.find((c) => c.name === 'pin-model-version');
    assert.ok(pin, `${d.metadata.name}: pins its model version`);
    assert.equal(
      containerEnv(pod, pin, SECRET_STAND_INS).MODEL_VERSION,
      pod.metadata.labels['recs/model-version'],
    );
    const env = containerEnv(pod, pod.spec.containers[0]!, SECRET_STAND_INS);
    assert.equal(env.MODEL_REGISTRY_DIR, '/registry', `${d.metadata.name}: serves the pinned registry`);
  }
  const selector = named('Service', 'recs-recommendations')!.spec!.selector!;
  const selected = colours.filter(
    (d) => d.spec!.template!.metadata.labels['recs/slot'] === selector['recs/slot'],
  );
  assert.equal(selected.length, 1, 'one colour behind the Service the gateway calls');
});

test('HPAs scale existing Deployments on CPU; the latency metric is one the adapter rules define', () => {
  const adapter = parseFile(join(k8sDir, 'prometheus-adapter', 'values.yaml'))[0] as {
    rules: { external: { name: { as: string } }[] };
  };
  const served = new Set(adapter.rules.external.map((r) => r.name.as));
  const hpas = ofKind('HorizontalPodAutoscaler');
  for (const h of hpas) {
    const where = h.metadata.name;
    assert.ok(named('Deployment', h.spec!.scaleTargetRef!.name), `${where}: target exists`);
    assert.ok(h.spec!.minReplicas! <= h.spec!.maxReplicas!, `${where}: min <= max`);
    assert.ok(
      h.spec!.metrics!.some((m) => m.resource?.name === 'cpu'),
      `${where}: scales on CPU`,
    );
    for (const m of h.spec!.metrics!.filter((x) => x.type === 'External')) {
      assert.ok(served.has(m.external!.metric.name), `${where}: ${m.external!.metric.name} is served`);
    }
  }
  const scaled = new Set(hpas.map((h) => h.spec!.scaleTargetRef!.name));
  for (const d of ofKind('Deployment'))
    assert.ok(scaled.has(d.metadata.name), `${d.metadata.name} has an HPA`);
  assert.ok(
    hpas.some((h) => h.spec!.metrics!.some((m) => m.type === 'External')),
    'one scales on latency',
  );
});

test('the experiment automation CronJob has resources and the admin key', () => {
  const cron = named('CronJob', 'recs-experiment-automation')!;
  const pod = cron.spec!.jobTemplate!.spec.template;
  const c = pod.spec.containers[0]!;
  assert.ok(c.resources?.requests?.cpu && c.resources.limits?.memory);
  assert.equal(
    containerEnv(pod, c, SECRET_STAND_INS).AUTOMATION_API_KEY,
    SECRET_STAND_INS.AUTOMATION_API_KEY,
  );
  assert.equal(configMap.data!.EXPERIMENT_AUTOMATION_SECONDS, '0', 'no timer in the servers');
});

test('NetworkPolicies: only the gateway (and the metrics scraper) reach the subgraphs', () => {
  type Policy = {
    spec: {
      podSelector: { matchExpressions?: { key: string; operator: string; values: string[] }[] };
      policyTypes: string[];
      ingress: {
        from: { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown }[];
        ports?: { port: string }[];
      }[];
    };
  };
  const policy = named('NetworkPolicy', 'recs-subgraphs-from-gateway') as unknown as Policy | undefined;
  assert.ok(policy, 'a NetworkPolicy guards the subgraphs');
  const selected = policy.spec.podSelector.matchExpressions!.find(
    (e) => e.key === 'app.kubernetes.io/name' && e.operator === 'In',
  )!.values;
  const subgraphPods = ofKind('Deployment')
    .filter((d) => d.spec!.template!.spec.containers.some((c) => serverOf(c)?.startsWith('subgraphs/')))
    .map((d) => d.spec!.template!.metadata.labels['app.kubernetes.io/name']!);
  assert.ok(subgraphPods.length >= 3);
  for (const pod of subgraphPods) assert.ok(selected.includes(pod), `${pod} is guarded`);
  assert.deepEqual(policy.spec.policyTypes, ['Ingress']);
  const gatewayPods = ofKind('Deployment')
    .filter((d) => d.spec!.template!.spec.containers.some((c) => serverOf(c) === 'gateway/src/main.ts'))
    .map((d) => d.spec!.template!.metadata.labels['app.kubernetes.io/name']);
  const fromPods = policy.spec.ingress.flatMap((r) =>
    r.from.flatMap((f) => (f.podSelector ? [f.podSelector] : [])),
  );
  assert.deepEqual(
    fromPods.map((p) => p.matchLabels['app.kubernetes.io/name']),
    gatewayPods,
    'the only pods let in are the gateway',
  );
  for (const rule of policy.spec.ingress) assert.deepEqual(rule.ports, [{ port: 'http' }]);
});

test('kubectl kustomize renders the set (skipped without kubectl)', (t) => {
  const run = spawnSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8', timeout: 30_000 });
  // only a missing kubectl skips; a timeout, a kubectl that cannot be run or a kill is a failure
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    t.skip('kubectl is not installed');
    return;
  }
  assert.ifError(run.error);
  assert.equal(run.status, 0, run.stderr);
  const kinds = [...run.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
  assert.equal(kinds.length, manifests.length, 'every document rendered');
  assert.ok(!/^ {2}namespace: (?!recs$)/m.test(run.stdout), 'everything in namespace recs');
});
