/**
 * A real one-node SLURM cluster for tests (Debian's slurm-wlm and munge): munged with its own
 * key, slurmctld and slurmd on 127.0.0.1 with 2 CPUs, all state, sockets and logs in one temp
 * folder, free ports, no cgroups (proctrack/linuxproc, task/none), so it runs in a container as
 * root. Clients (sbatch, squeue, scancel) reach it through SLURM_CONF. start() throws with the
 * daemons' logs when the node does not come up; stop() kills every daemon it started, by pid.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';

const NODE = 'hsamnode';
const SBIN = '/usr/sbin';

export interface ArrayTaskState {
  readonly task: number;
  readonly state: string;
}

export class SlurmCluster {
  private constructor(
    readonly dir: string,
    readonly conf: string,
  ) {}

  /** The environment that points SLURM's clients at this cluster. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, SLURM_CONF: this.conf };
  }

  static async start(dir: string): Promise<SlurmCluster> {
    const missing = ['munged', 'slurmctld', 'slurmd'].filter((b) => !existsSync(join(SBIN, b)));
    if (missing.length) throw new Error(`SLURM cannot start: ${missing.join(', ')} not installed (apt-get install slurm-wlm slurm-client munge).`);
    for (const d of ['munge', 'spool', 'state', 'log']) mkdirSync(join(dir, d), { recursive: true });
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const munge = join(dir, 'munge');
    chmodSync(munge, 0o700);
    writeFileSync(join(munge, 'munge.key'), randomBytes(1024), { mode: 0o400 });
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=hsamtest',
        'SlurmctldHost=localhost(127.0.0.1)',
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${slurmdPort}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${join(munge, 'munge.sock')}`,
        'CredType=cred/munge',
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
        // No cgroups: a container has no writable cgroup tree to give slurmd.
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'MpiDefault=none',
        'SchedulerType=sched/builtin',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'ReturnToService=2',
        `NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN`,
        `PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'cgroup.conf'), 'CgroupAutomount=no\nConstrainCores=no\nConstrainRAMSpace=no\n');
    const cluster = new SlurmCluster(dir, conf);
    try {
      await cluster.startDaemons(munge);
      return cluster;
    } catch (e) {
      await cluster.stop(); // whatever did start
      throw e;
    }
  }

  private async startDaemons(munge: string): Promise<void> {
    const conf = this.conf;
    const daemons: [string, string[]][] = [
      ['munged', ['--force', `--key-file=${join(munge, 'munge.key')}`, `--socket=${join(munge, 'munge.sock')}`, `--pid-file=${join(munge, 'munged.pid')}`, `--log-file=${join(munge, 'munged.log')}`, `--seed-file=${join(munge, 'seed')}`]],
      ['slurmctld', ['-f', conf, '-i']],
      ['slurmd', ['-f', conf, '-N', NODE]],
    ];
    for (const [name, args] of daemons) {
      // Each daemon forks into the background and writes its pid file; its own exit is the start's verdict.
      const r = spawnSync(join(SBIN, name), args, { encoding: 'utf8', env: this.env, timeout: 30_000 });
      if (r.status !== 0) throw new Error(`SLURM cannot start: ${name} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}\n${this.logs()}`);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const state = this.run('sinfo', ['-h', '-n', NODE, '-o', '%T']).stdout.trim();
      if (state === 'idle') return;
      if (Date.now() > deadline) throw new Error(`SLURM cannot start: node ${NODE} is "${state}" after 30 s, not idle.\n${this.logs()}`);
      await sleep(250);
    }
  }

  /** Runs a SLURM client against this cluster. */
  run(cmd: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: this.env, timeout: 30_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
  }

  /** Every task of an array job with its state (scontrol keeps finished jobs for MinJobAge, 300 s). */
  arrayStates(jobId: string): ArrayTaskState[] {
    const r = this.run('scontrol', ['-o', 'show', 'job', jobId]);
    return r.stdout
      .split('\n')
      .filter((l) => l.includes('ArrayTaskId='))
      .map((l) => ({ task: Number(/ArrayTaskId=(\d+)/.exec(l)?.[1]), state: /JobState=(\S+)/.exec(l)?.[1] ?? '?' }))
      .sort((a, b) => a.task - b.task);
  }

  /** Waits until no task of the job is pending or running; throws with the logs after timeoutMs. */
  async waitForJob(jobId: string, timeoutMs: number): Promise<ArrayTaskState[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = this.arrayStates(jobId);
      if (states.length && states.every((s) => !['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING'].includes(s.state))) return states;
      if (Date.now() > deadline) throw new Error(`job ${jobId} not finished after ${timeoutMs / 1000} s: ${JSON.stringify(states)}\n${this.logs()}`);
      await sleep(200);
    }
  }

  /** The daemons' logs, for a failure message. */
  logs(): string {
    const files = [join(this.dir, 'munge', 'munged.log'), ...readdirSafe(join(this.dir, 'log')).map((n) => join(this.dir, 'log', n))];
    return files
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-30).join('\n')}`)
      .join('\n');
  }

  /** Cancels every job, then kills slurmd, slurmctld and munged by the pids they wrote. */
  async stop(): Promise<void> {
    this.run('scancel', ['-u', 'root']);
    for (let i = 0; i < 50 && this.run('squeue', ['-h']).stdout.trim() !== ''; i++) await sleep(200);
    for (const pidFile of ['slurmd.pid', 'slurmctld.pid', join('munge', 'munged.pid')]) {
      const p = join(this.dir, pidFile);
      if (!existsSync(p)) continue;
      const pid = Number(readFileSync(p, 'utf8').trim());
      if (!(pid > 0)) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue; // already gone
      }
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
