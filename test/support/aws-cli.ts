// The real AWS CLI against a local endpoint (moto), with throwaway credentials and no user files.
import { spawn } from 'node:child_process';

export interface AwsCliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aws <args> --endpoint-url <endpoint> --output json`; rejects when it exits non-zero. */
export function awsCli(endpoint: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<AwsCliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('aws', [...args, '--endpoint-url', endpoint, '--output', 'json'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: '/nonexistent',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_ACCESS_KEY_ID: 'AKIAMOTOADMIN0000000',
        AWS_SECRET_ACCESS_KEY: 'moto-admin-secret',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ code, stdout, stderr }) : reject(new Error(`aws ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr.trim()}`))));
  });
}
