/**
 * The one place a {@link FlinkService} is built from configuration: `flink.service` chooses the
 * session cluster's REST API (`rest`) or the Flink Kubernetes Operator's FlinkDeployments
 * (`kubernetes`). The worker, the CLI and the demo all build theirs here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TributaryConfig } from '../../config/config.js';
import { RestFlinkService, type FlinkService } from '../flink-service.js';
import { KubernetesApiClient, serviceAccountToken } from './kubernetes-api-client.js';
import { ServiceAccountError } from './kubernetes-errors.js';
import { OperatorFlinkService } from './operator-flink-service.js';

/** The service `config.flink.service` names. Throws a {@link ServiceAccountError} when the Kubernetes one cannot find its namespace. */
export function createFlinkService(config: TributaryConfig): FlinkService {
  if (config.flink.service === 'rest') return new RestFlinkService({ baseUrl: config.flink.restUrl });
  const { apiUrl, serviceAccountDir } = config.flink.kubernetes;
  const namespace = config.flink.kubernetes.namespace ?? readServiceAccountFile(serviceAccountDir, 'namespace');
  const tokenFile = join(serviceAccountDir, 'token');
  const caFile = join(serviceAccountDir, 'ca.crt');
  // Outside a pod (e.g. through `kubectl proxy`) there is no token or CA, and none is needed.
  const api = new KubernetesApiClient({
    apiUrl,
    ...(existsSync(tokenFile) ? { token: serviceAccountToken(tokenFile) } : {}),
    ...(existsSync(caFile) ? { ca: readServiceAccountFile(serviceAccountDir, 'ca.crt') } : {}),
  });
  return new OperatorFlinkService({ api, namespace });
}

function readServiceAccountFile(folder: string, name: 'namespace' | 'ca.crt'): string {
  const path = join(folder, name);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ServiceAccountError(path, name === 'namespace' ? 'namespace' : 'CA certificate', error);
  }
}
