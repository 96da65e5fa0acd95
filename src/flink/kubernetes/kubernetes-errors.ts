/**
 * Errors of the Kubernetes-backed Flink service: the API server's answers, and the states of a
 * FlinkDeployment that the service refuses to act on. Each carries the resource it is about and
 * says whether trying again can help.
 */
import { FlinkError, type FlinkErrorContext } from '../errors.js';

/** What a Kubernetes error is about. */
export interface KubernetesErrorContext extends FlinkErrorContext {
  readonly namespace?: string;
  /** The FlinkDeployment's name (Tributary's job name). */
  readonly deployment?: string;
}

/** Base of the errors below; a {@link FlinkError}, so the deployment activities classify it like the REST client's. */
export class KubernetesFlinkError extends FlinkError {
  override readonly name: string = 'KubernetesFlinkError';
  readonly namespace: string | undefined;
  readonly deployment: string | undefined;

  constructor(message: string, context: KubernetesErrorContext = {}) {
    super(message, context);
    this.namespace = context.namespace;
    this.deployment = context.deployment;
  }
}

/**
 * A request to the API server got no answer or an error status. Retriable on no answer, 409
 * (a concurrent change), 429 and 5xx: the client has already retried those a bounded number of
 * times. 401/403 mean the service account lacks a right: the message names the verb and resource.
 */
export class KubernetesRequestError extends KubernetesFlinkError {
  override readonly name = 'KubernetesRequestError';

  constructor(reason: string, context: KubernetesErrorContext & { readonly method: string; readonly url: string }) {
    super(`${context.method} ${context.url} failed: ${reason}`, context);
  }
}

/** The service account's token, CA or namespace file cannot be read: the worker does not run in a pod with a service account, or the path is wrong. */
export class ServiceAccountError extends KubernetesFlinkError {
  override readonly name = 'ServiceAccountError';

  constructor(readonly path: string, what: string, cause: unknown) {
    super(
      `cannot read the service account's ${what} at ${path} (${cause instanceof Error ? cause.message : String(cause)}): run Tributary in a pod with a service account, or set flink.kubernetes.serviceAccountDir (and flink.kubernetes.namespace) to where they are`,
      { cause, retriable: false },
    );
  }
}

/** No FlinkDeployment of the job's name exists: the Helm chart creates one per feature job, and Tributary only changes its job. */
export class FlinkDeploymentMissingError extends KubernetesFlinkError {
  override readonly name = 'FlinkDeploymentMissingError';

  constructor(deployment: string, namespace: string) {
    super(
      `no FlinkDeployment "${deployment}" in namespace ${namespace}: Tributary changes the job of an existing one; add the job to the Helm chart's values (it creates one FlinkDeployment per feature job) and upgrade the release`,
      { deployment, namespace, retriable: false },
    );
  }
}

/**
 * A submission would replace a job that still runs: one FlinkDeployment runs one job, so a new
 * one cannot start beside it (blue/green) and must not replace it without a savepoint.
 */
export class JobBesideRunningJobError extends KubernetesFlinkError {
  override readonly name = 'JobBesideRunningJobError';

  constructor(deployment: string, namespace: string, runningJobId: string, jobId: string) {
    super(
      `FlinkDeployment "${deployment}" (namespace ${namespace}) still runs job ${runningJobId}, and one FlinkDeployment runs one job, so job ${jobId} cannot start beside it; on Kubernetes deploy with mode savepoint or stateless (blue/green needs a second FlinkDeployment, which the operator service does not create)`,
      { deployment, namespace, jobId, retriable: false },
    );
  }
}

/** A job name that cannot name a FlinkDeployment: Flink's cluster id (the resource's name) is a DNS label of at most 45 characters, so `<name>-rest` and the other services it names fit. */
export class DeploymentNameError extends KubernetesFlinkError {
  override readonly name = 'DeploymentNameError';

  constructor(deployment: string) {
    super(
      `job name "${deployment}" cannot name a FlinkDeployment: use lower-case letters, digits and "-", starting with a letter and ending with a letter or digit, at most 45 characters`,
      { deployment, retriable: false },
    );
  }
}
