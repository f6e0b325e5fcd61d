import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Development credentials, generated once per checkout into var/dev-credentials.json (mode 0600,
 * git-ignored) so the README's example query keeps working across restarts. Production sets these
 * through the environment instead; a value already in the environment wins.
 */
export interface DevCredentials {
  GATEWAY_SECRET: string;
  JWT_SECRET: string;
  API_KEY_SERVICE: string;
  API_KEY_ADMIN: string;
  NEO4J_PASSWORD: string;
}

export function devCredentials(root: string): DevCredentials {
  const file = join(root, 'var', 'dev-credentials.json');
  const hex = (n: number) => randomBytes(n).toString('hex');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
    if (saved.NEO4J_PASSWORD) return saved;
  }
  const creds: DevCredentials = {
    GATEWAY_SECRET: hex(24),
    JWT_SECRET: hex(32),
    API_KEY_SERVICE: `svc-${hex(16)}`,
    API_KEY_ADMIN: `adm-${hex(16)}`,
    NEO4J_PASSWORD: hex(16),
  };
  mkdirSync(join(root, 'var'), { recursive: true });
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}
