/**
 * Benchmark: the unchanged `train` command on synthetic Online Retail data of growing size, with wall
 * time and peak memory per pipeline step.
 *
 *   node --import tsx bench/scale-train.ts [--sizes 10000:1000000,100000:10000000] [--seed 1]
 *     [--timeout 600] [--max-rss-gib 16] [--heap-mib N (the child's --max-old-space-size)]
 *
 * `--sizes` lists products:events pairs. For each, the synthetic generator writes a gzip CSV into a
 * temp dir (timed), then `pipeline/src/cli.ts train --until 2011-11-09 --no-promote` runs on it in a
 * child process. The bench samples the child's RSS from /proc every 50 ms and splits the run at the
 * child's log lines, so each step gets its wall time and the peak RSS seen while it ran. A run is
 * stopped (by its pid) when it passes `--timeout` seconds or `--max-rss-gib`; a failure is reported
 * with the step it happened in.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticOnlineRetail } from '../pipeline/src/synthetic/generate';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000:1000000,100000:10000000' },
    seed: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '600' },
    'max-rss-gib': { type: 'string', default: '16' },
    'heap-mib': { type: 'string' },
  },
});
const sizes = values.sizes!.split(',').map((pair) => pair.split(':').map(Number) as [number, number]);
const seed = Number(values.seed);
const timeoutMs = Number(values.timeout) * 1000;
const maxRss = Number(values['max-rss-gib']) * 2 ** 30;
const root = resolve(import.meta.dirname, '..');

/** One interval between two log lines of the child: what it logged at the end, time, peak RSS. */
interface Step {
  line: string;
  seconds: number;
  peakMiB: number;
}

console.log('# bench/scale-train');
console.log(
  `setup: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; timeout ${values.timeout} s, RSS cap ${values['max-rss-gib']} GiB, ` +
    `V8 heap limit ${values['heap-mib'] ? `${values['heap-mib']} MiB` : 'default'}`,
);
console.log(
  `data: synthetic Online Retail (pipeline/src/synthetic, seed ${seed}), train --until 2011-11-09 (all of it)`,
);

for (const [products, events] of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'recs-bench-scale-train-'));
  try {
    const input = join(dir, 'synthetic.csv.gz');
    const t0 = performance.now();
    const summary = await writeSyntheticOnlineRetail(input, { products, events, seed });
    console.log(
      `\n## ${products.toLocaleString('en')} products, ${events.toLocaleString('en')} events ` +
        `(${summary.invoices.toLocaleString('en')} invoices, ${summary.customers.toLocaleString('en')} customers; ` +
        `generated in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(statSync(input).size / 2 ** 20).toFixed(0)} MiB gzip)`,
    );
    const registry = join(dir, 'models');
    const run = await trainWithSampling(input, registry);
    for (const step of run.steps) {
      console.log(
        `  +${step.seconds.toFixed(1).padStart(6)} s  peak ${step.peakMiB.toFixed(0).padStart(6)} MiB  ${step.line}`,
      );
    }
    console.log(
      `result: ${run.status}; wall ${run.seconds.toFixed(1)} s, peak RSS ${run.peakMiB.toFixed(0)} MiB`,
    );
    const manifest = readManifest(registry);
    if (manifest) {
      const steps = Object.entries(manifest.timings ?? {})
        .map(([k, v]) => `${k.replace(/Ms$/, '')} ${(v / 1000).toFixed(1)} s`)
        .join(', ');
      console.log(`manifest timings: ${steps}`);
      console.log(`manifest metrics: ${JSON.stringify(manifest.metrics)}`);
      if (manifest.vectorIndex) console.log(`manifest vectorIndex: ${JSON.stringify(manifest.vectorIndex)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `train` in a child process, sampling its RSS, and splits the run at its log lines. */
function trainWithSampling(
  input: string,
  registry: string,
): Promise<{ status: string; seconds: number; peakMiB: number; steps: Step[] }> {
  const heap = values['heap-mib'] ? [`--max-old-space-size=${values['heap-mib']}`] : [];
  const args = [
    ...heap,
    ...['--import', 'tsx', join(root, 'pipeline/src/cli.ts'), 'train'],
    ...['--dataset', 'online-retail', '--input', input, '--until', '2011-11-09'],
    ...['--registry', registry, '--no-promote'],
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const t0 = performance.now();
  const steps: Step[] = [];
  let stepStart = t0;
  let stepPeak = 0;
  let peak = 0;
  let stopped: string | undefined;
  let errorLine = '';
  const sample = setInterval(() => {
    const rss = readRss(child.pid!);
    stepPeak = Math.max(stepPeak, rss);
    peak = Math.max(peak, rss);
    if (rss > maxRss && !stopped) {
      stopped = `stopped: RSS ${(rss / 2 ** 30).toFixed(1)} GiB over the cap`;
      child.kill('SIGKILL');
    }
  }, 50);
  const timer = setTimeout(() => {
    stopped = `stopped: over the ${timeoutMs / 1000} s timeout`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const endStep = (line: string) => {
    const now = performance.now();
    steps.push({ line, seconds: (now - stepStart) / 1000, peakMiB: stepPeak / 2 ** 20 });
    stepStart = now;
    stepPeak = 0;
  };
  let buffered = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      // Progress bars redraw with carriage returns; only finished lines mark a step.
      if (line.startsWith('[train]')) endStep(line.replace(/^\[train\] /, ''));
      else if (!errorLine && /error/i.test(line)) errorLine = line.trim();
    }
  });
  child.stdout.resume();
  return new Promise((done) => {
    child.on('exit', (code, signal) => {
      clearInterval(sample);
      clearTimeout(timer);
      endStep('(end)');
      const status =
        stopped ??
        (code === 0
          ? 'ok'
          : `failed (exit ${code ?? signal}) after "${steps[steps.length - 2]?.line ?? 'start'}": ${errorLine}`);
      done({ status, seconds: (performance.now() - t0) / 1000, peakMiB: peak / 2 ** 20, steps });
    });
  });
}

function readRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function readManifest(
  registry: string,
): { timings?: Record<string, number>; metrics: Record<string, number>; vectorIndex?: unknown } | undefined {
  try {
    const version = readdirSync(registry).find((name) => name.startsWith('v') && !name.includes('.tmp'));
    return version ? JSON.parse(readFileSync(join(registry, version, 'manifest.json'), 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}
