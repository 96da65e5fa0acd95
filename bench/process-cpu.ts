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

/** A process's CPU time sampled every 100 ms until stopped. */
export interface CpuSampler {
  stop(): void;
  /** CPU seconds used by wall-clock time `time`, interpolated between the samples around it. */
  at(time: number): number;
}

/**
 * Samples `pid` from now on. Interpolating at the times a benchmark cares about (the first and
 * last output's Kafka timestamp) leaves out the process's start-up and its idle polling after.
 */
export function sampleCpu(pid: number): CpuSampler {
  const samples: { time: number; cpuSeconds: number }[] = [{ time: Date.now(), cpuSeconds: processCpuSeconds(pid) }];
  const timer = setInterval(() => {
    try {
      samples.push({ time: Date.now(), cpuSeconds: processCpuSeconds(pid) });
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
      return a.cpuSeconds + ((b.cpuSeconds - a.cpuSeconds) * (time - a.time)) / (b.time - a.time);
    },
  };
}
