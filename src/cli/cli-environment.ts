import { loadConfig, type TributaryConfig } from '../config/config.js';

/** What every command needs from the CLI around it: configuration and a place to write. */
export interface CliEnvironment {
  /** The validated configuration, loaded on first use (so `--help` works with a broken config). */
  config(): TributaryConfig;
  print(text: string): void;
  /** Reports a failure the person can act on, and makes the process exit non-zero. */
  fail(message: string): void;
  setExitCode(code: number): void;
}

export function createCliEnvironment(configFile: () => string | undefined): CliEnvironment {
  let config: TributaryConfig | undefined;
  return {
    config: () => (config ??= loadConfig({ file: configFile() })),
    print: (text) => process.stdout.write(`${text}\n`),
    fail: (message) => {
      process.stderr.write(`error: ${message}\n`);
      process.exitCode = 1;
    },
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}
