/**
 * CPU time of another process, read from /proc (Linux only, as the local stack is): what a
 * benchmark divides by the events a process handled to get CPU microseconds per event.
 */
import { readFileSync } from 'node:fs';

/** Linux reports process CPU times in clock ticks of 1/100 s (USER_HZ; `getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;
const SAMPLE_EVERY_MS = 100;

/** CPU seconds (user + system, all threads) process `pid` has used so far. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Seconds the process's main thread (a Node process's event loop) has spent running on a CPU and
 * waiting in the run queue for one (/proc/<pid>/schedstat): what is left of wall-clock time is
 * sleep, waiting on I/O or a timer. On a shared machine the wait tells CPU starvation apart from
 * a process that is idle because it waits for the broker.
 */
export function mainThreadSchedule(pid: number): { runningSeconds: number; waitingForCpuSeconds: number } {
  const [running, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { runningSeconds: running! / 1e9, waitingForCpuSeconds: waiting! / 1e9 };
}

/** What a sample holds: the process's CPU seconds, and its main thread's schedule. */
export interface CpuReading {
  readonly cpuSeconds: number;
  readonly runningSeconds: number;
  readonly waitingForCpuSeconds: number;
}

/** A process's CPU time sampled every 100 ms until stopped. */
export interface CpuSampler {
  stop(): void;
  /** The reading at wall-clock time `time`, interpolated between the samples around it. */
  at(time: number): CpuReading;
}

/**
 * Samples `pid` from now on. Interpolating at the times a benchmark cares about (the first and
 * last output's Kafka timestamp) leaves out the process's start-up and its idle polling after.
 */
export function sampleCpu(pid: number): CpuSampler {
  const read = (): CpuReading & { time: number } => ({ time: Date.now(), cpuSeconds: processCpuSeconds(pid), ...mainThreadSchedule(pid) });
  const samples = [read()];
  const timer = setInterval(() => {
    try {
      samples.push(read());
    } catch {
      // The process has exited: the samples so far are all there will be.
      clearInterval(timer);
    }
  }, SAMPLE_EVERY_MS);
  return {
    stop: () => clearInterval(timer),
    at: (time) => {
      const after = samples.findIndex((sample) => sample.time >= time);
      if (after <= 0) throw new Error(`no CPU sample of process ${pid} on both sides of ${new Date(time).toISOString()} (samples from ${new Date(samples[0]!.time).toISOString()} to ${new Date(samples.at(-1)!.time).toISOString()})`);
      const [a, b] = [samples[after - 1]!, samples[after]!];
      const between = (key: keyof CpuReading): number => a[key] + ((b[key] - a[key]) * (time - a.time)) / (b.time - a.time);
      return { cpuSeconds: between('cpuSeconds'), runningSeconds: between('runningSeconds'), waitingForCpuSeconds: between('waitingForCpuSeconds') };
    },
  };
}
