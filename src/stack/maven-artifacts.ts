import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from './component.js';
import { runSetupStep } from './run-command.js';

export interface MavenArtifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  /** Copy only this artifact, not its dependencies (a fat jar, an archive). @default false */
  readonly intransitive?: boolean;
  /** Packaging of the artifact. @default 'jar' */
  readonly type?: string;
  readonly classifier?: string;
}

/** Pinned: 2.8 copies an artifact whose parent pom is not on Maven Central (Apicurio's); 3.x refuses. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:2.8';

const coordinates = (a: MavenArtifact): string =>
  [a.groupId, a.artifactId, a.version, a.type ?? 'jar', ...(a.classifier ? [a.classifier] : [])].join(':');

function pom(artifacts: readonly MavenArtifact[]): string {
  const dependencies = artifacts
    .map((a) => `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`)
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
 * Resolves artifacts from Maven Central and copies them into `libDir`: transitive ones with
 * their runtime dependencies (through a pom generated from the pinned versions), intransitive
 * ones alone (their parent poms need not be resolvable).
 */
export async function copyMavenArtifacts(
  installationId: string,
  artifacts: readonly MavenArtifact[],
  workDir: string,
  libDir: string,
  progress: Progress,
): Promise<void> {
  await mkdir(workDir, { recursive: true });
  progress(`${installationId}: resolving ${artifacts.map((a) => `${a.artifactId}:${a.version}`).join(', ')} from Maven Central`);
  const transitive = artifacts.filter((a) => !a.intransitive);
  if (transitive.length > 0) {
    await writeFile(join(workDir, 'pom.xml'), pom(transitive));
    await runSetupStep(
      installationId,
      'resolving jars with Maven',
      'mvn',
      ['-B', '-q', `${DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${libDir}`, '-DincludeScope=runtime'],
      { cwd: workDir },
    );
  }
  for (const artifact of artifacts.filter((a) => a.intransitive)) {
    await runSetupStep(
      installationId,
      `downloading ${artifact.artifactId} with Maven`,
      'mvn',
      ['-B', '-q', `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${coordinates(artifact)}`, `-DoutputDirectory=${libDir}`],
      { cwd: workDir },
    );
  }
}
