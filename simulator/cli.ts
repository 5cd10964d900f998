#!/usr/bin/env node
/**
 * `fleetgate-sim`: plays a JT/T 808 fleet against a gateway (`run`, the default) and checks what the
 * API stored against the ground truth (`verify`). Exit codes: 0 ok, 1 failed check, 2 usage error.
 */
import { writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRunArgs, parseVerifyArgs, RUN_HELP, VERIFY_HELP } from './options.js';
import { formatApiLinks, formatSummary } from './report.js';
import { runSimulation, type RunControl } from './run.js';
import { formatVerifyResult, verify } from './verify.js';

export interface SimIo {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  /** Registers the interrupt handler (SIGINT in the real CLI). */
  onInterrupt?(fn: () => void): () => void;
}

async function runCommand(argv: string[], io: SimIo): Promise<number> {
  const parsed = await parseRunArgs(argv);
  if (!parsed.ok) {
    io.err(parsed.errors.map((e) => `fleetgate-sim: ${e}\n`).join('') + 'Run `fleetgate-sim --help` for the options.\n');
    return 2;
  }
  if ('help' in parsed) {
    io.out(RUN_HELP);
    return 0;
  }
  const o = parsed.value;
  const control: RunControl = { interrupt: () => {} };
  const off = io.onInterrupt?.(() => control.interrupt());
  try {
    const { report } = await runSimulation(o, { err: io.err, isTTY: io.isTTY }, control);
    if (o.reportJson !== undefined) await writeFile(o.reportJson, JSON.stringify(report, null, 2) + '\n');
    io.out(o.json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report));
    const lost = report.positions.unanswered > 0;
    const nobody = report.connections.terminalsAuthenticated === 0;
    if (nobody) io.err('fleetgate-sim: no terminal authenticated — is the gateway running on ' + report.target + '?\n');
    if (o.api !== undefined && !o.json) {
      const first = String(o.firstId);
      io.out(formatApiLinks(o.api, report, o.terminals > 1 ? [first, String(o.firstId + 1)] : [first]));
    }
    let verified = true;
    if (o.verify && o.api !== undefined && o.truth !== undefined) {
      io.err(`waiting ${o.verifyDelayS} s for storage, then verifying ${o.truth} against ${o.api}\n`);
      await new Promise((r) => setTimeout(r, o.verifyDelayS * 1000));
      const vo = { truth: o.truth, api: o.api, ...(o.apiKey ? { apiKey: o.apiKey } : {}), tolerancePct: 1, minToleranceKm: 0.1, concurrency: 8, requestTimeoutS: 30, verbose: false };
      const result = await verify(vo, (line) => io.err(line));
      io.out(formatVerifyResult(result, false));
      verified = result.ok;
    }
    return lost || nobody || !verified ? 1 : 0;
  } finally {
    off?.();
  }
}

async function verifyCommand(argv: string[], io: SimIo): Promise<number> {
  const parsed = await parseVerifyArgs(argv);
  if (!parsed.ok) {
    io.err(parsed.errors.map((e) => `fleetgate-sim verify: ${e}\n`).join('') + 'Run `fleetgate-sim verify --help` for the options.\n');
    return 2;
  }
  if ('help' in parsed) {
    io.out(VERIFY_HELP);
    return 0;
  }
  const o = parsed.value;
  const result = await verify(o, (line) => io.err(line));
  if (o.reportJson !== undefined) await writeFile(o.reportJson, JSON.stringify(result, null, 2) + '\n');
  io.out(formatVerifyResult(result, o.verbose));
  return result.ok ? 0 : 1;
}

export async function main(argv: string[], io: SimIo): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === 'verify') return await verifyCommand(rest, io);
    if (first === 'run') return await runCommand(rest, io);
    if (first === 'help') {
      io.out(RUN_HELP);
      return 0;
    }
    if (first !== undefined && !first.startsWith('-')) {
      io.err(`fleetgate-sim: unknown command "${first}" (commands: run, verify)\n`);
      return 2;
    }
    return await runCommand(argv, io);
  } catch (err) {
    io.err(`fleetgate-sim: ${(err as Error).message}\n`);
    return 1;
  }
}

function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  // `fleetgate-sim --help | head`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const io: SimIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
    onInterrupt(fn) {
      let count = 0;
      const handler = (): void => {
        if (++count >= 3) process.exit(130);
        fn();
      };
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fleetgate-sim: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
