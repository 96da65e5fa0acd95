import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from './component.js';
import { runInstallStep } from './run-command.js';

export interface MavenArtifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  /** Copy only this artifact, not its dependencies. @default false */
  readonly intransitive?: boolean;
}

function pom(artifacts: readonly MavenArtifact[]): string {
  const dependencies = artifacts
    .map(
      (a) =>
        `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version>` +
        (a.intransitive ? '<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>' : '') +
        '</dependency>',
    )
    .join('\n');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tributary.stack</groupId>
  <artifactId>classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
}

/**
 * Resolves artifacts (with their dependencies unless intransitive) from Maven Central
 * and copies the jars into `libDir`, through a pom generated from the pinned versions.
 */
export async function copyMavenArtifacts(
  installationId: string,
  artifacts: readonly MavenArtifact[],
  workDir: string,
  libDir: string,
  progress: Progress,
): Promise<void> {
  await mkdir(workDir, { recursive: true });
  await writeFile(join(workDir, 'pom.xml'), pom(artifacts));
  progress(`${installationId}: resolving ${artifacts.map((a) => `${a.artifactId}:${a.version}`).join(', ')} from Maven Central`);
  await runInstallStep(
    installationId,
    'resolving jars with Maven',
    'mvn',
    ['-B', '-q', 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`, '-DincludeScope=runtime'],
    { cwd: workDir },
  );
}
