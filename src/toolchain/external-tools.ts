/**
 * The external programs Tributary runs: which they are, where each one's executable is, and
 * whether it is usable. Below the stack, which needs them to install and run its servers, and
 * the Flink feature job's build, which runs Maven; each decides what a missing tool means.
 */
import { spawnSync } from 'node:child_process';

/** External programs the local stack needs to install or run its servers, or Tributary needs to build a feature job. */
export type Tool = 'java' | 'mvn' | 'go' | 'python3' | 'openssl';

interface ToolCheck {
  readonly versionArgs: readonly string[];
  /** Extracts the major version from the tool's version output, when a minimum applies. */
  readonly major?: (output: string) => number | undefined;
  readonly minimumMajor?: number;
  readonly howToGet: string;
}

const TOOL_CHECKS: Record<Tool, ToolCheck> = {
  java: {
    versionArgs: ['-version'],
    major: (output) => Number(/version "(\d+)/.exec(output)?.[1]) || undefined,
    minimumMajor: 17,
    howToGet: 'install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME',
  },
  mvn: {
    versionArgs: ['--version'],
    howToGet: 'install Apache Maven 3.8+ (Debian: apt-get install maven)',
  },
  go: {
    versionArgs: ['version'],
    howToGet: 'install Go 1.24+ (Debian: apt-get install golang, or https://go.dev/dl)',
  },
  python3: {
    versionArgs: ['-m', 'pip', '--version'],
    howToGet: 'install Python 3 with pip (Debian: apt-get install python3-pip)',
  },
  openssl: {
    versionArgs: ['version'],
    howToGet: 'install OpenSSL (Debian: apt-get install openssl)',
  },
};

/** The executable for a tool, honouring JAVA_HOME for java. */
export function toolExecutable(tool: Tool, env: NodeJS.ProcessEnv = process.env): string {
  if (tool === 'java' && env.JAVA_HOME) return `${env.JAVA_HOME}/bin/java`;
  return tool;
}

/** Describes what is wrong with one tool, or undefined when it is usable. */
export function checkTool(tool: Tool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const check = TOOL_CHECKS[tool];
  const executable = toolExecutable(tool, env);
  const result = spawnSync(executable, check.versionArgs, { encoding: 'utf8', env, timeout: 30_000 });
  if (result.error || result.status !== 0) {
    return `${tool} is missing or broken (ran "${executable} ${check.versionArgs.join(' ')}"): ${check.howToGet}`;
  }
  if (check.major && check.minimumMajor) {
    const major = check.major(`${result.stdout}${result.stderr}`);
    if (major !== undefined && major < check.minimumMajor) {
      return `${tool} ${major} is too old, ${check.minimumMajor}+ is needed: ${check.howToGet}`;
    }
  }
  return undefined;
}
