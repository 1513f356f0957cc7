/**
 * How the trainer is started for data-parallel fine-tuning: PyTorch's own launcher
 * (`python -m torch.distributed.run`, the module behind `torchrun`) with K processes on this
 * machine; each process runs `hsam.py ... finetune` and native-models/hsam/distributed.py makes
 * them one DistributedDataParallel run (rank 0 prints the JSON lines and writes the model).
 * One process (the default) runs the trainer directly, as before.
 */

/** The arguments before the trainer script: none for one process, the launcher for K > 1. */
export function launcherArgs(nproc: number | undefined): string[] {
  if (nproc === undefined || nproc <= 1) return [];
  return [
    '-m',
    'torch.distributed.run',
    // A rendezvous on this machine on a free port.
    '--standalone',
    // The underscore spelling: torch 1.13 knows no other; later versions accept both.
    `--nproc_per_node=${nproc}`,
    // torch 1.13 on Python 3.11 cannot parse its own default "0" for these two (IntFlag iteration
    // skips NONE) and stops before starting anything; a mapping for local rank 9 only is valid
    // everywhere and leaves the output of every rank below 9 as it is (ranks other than 0 print
    // nothing anyway).
    '--redirects=9:1',
    '--tee=9:1',
  ];
}
