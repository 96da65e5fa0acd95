{{/*
Names, labels, and the platform's side of two tables the chart shares with Tributary's code: the
topics every prefix has beside its pipelines' (the shared model topics of
src/pipeline-apply/platform-resources.ts and the pipeline store), and the ACLs each principal
gets on them (platformKafkaGrants in src/stack/secure-kafka-acls.ts). A pipeline's own topics,
grants and feature job come from its values entry, which `tributary pipeline helm-values`
computes from its definition, so nothing here names a pipeline's topics.
test/integration/helm-chart.test.ts renders the chart and compares both sides with the code's,
so a change on one side alone fails the tests.
*/}}
{{- define "tributary.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tributary.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component of one pipeline: (dict "root" $ "component" "scorer" "pipeline" $p). */}}
{{- define "tributary.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- with .pipeline }}
tributary.dev/pipeline: {{ .name }}
{{- end }}
{{- end -}}

{{- define "tributary.kafkaBootstrap" -}}
{{- printf "%s-kafka-bootstrap.%s.svc:9093" .Values.kafka.clusterName .Release.Namespace -}}
{{- end -}}

{{- define "tributary.schemaRegistryUrl" -}}
{{- printf "http://%s-schema-registry.%s.svc:8080/apis/ccompat/v7" (include "tributary.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* The KafkaUser (and SCRAM user name) of one role of one pipeline: (dict "pipeline" $p "role" "scorer"). */}}
{{- define "tributary.kafkaUser" -}}
{{- printf "%s-%s" .pipeline.name .role -}}
{{- end -}}

{{/*
The feature job's name, which is its FlinkDeployment's (flinkDeploy finds the job by it): the
pipeline definition's rule (featureJobName in src/pipelines/pipeline-topics.ts), featureJob.name
(the definition's features.job.name) when set, else <pipeline>-features. Called with a merged pipeline.
*/}}
{{- define "tributary.featureJobName" -}}
{{- .featureJob.name | default (printf "%s-features" .name) -}}
{{- end -}}


{{/* The pipelines, each merged over pipelineDefaults (a list in values replaces, never merges). */}}
{{- define "tributary.pipelines" -}}
{{- $out := list -}}
{{- range .Values.pipelines -}}
{{- $out = append $out (mergeOverwrite (deepCopy $.Values.pipelineDefaults) .) -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The pipeline's topic of one role (its first, for "source"): (dict "pipeline" $p "role" "features"). */}}
{{- define "tributary.topicOfRole" -}}
{{- $found := dict -}}
{{- range .pipeline.topics -}}
{{- if and (eq .role $.role) (not $found.name) -}}
{{- $found = . -}}
{{- end -}}
{{- end -}}
{{- toYaml $found -}}
{{- end -}}

{{/* The KafkaTopic object of a topic of a pipeline: <pipeline>-<name after the prefix>, lower case, '_' as '-'. */}}
{{- define "tributary.topicObjectName" -}}
{{- printf "%s-%s" .pipeline.name (trimPrefix .pipeline.topicPrefix .topic | lower | replace "_" "-") -}}
{{- end -}}

{{/*
Refuses values that would render a broken or unsafe install, one line each.
*/}}
{{- define "tributary.validate" -}}
{{- if not .Values.pipelines -}}
{{- fail "pipelines: list at least one pipeline: `tributary pipeline helm-values <definition>` prints its entry" -}}
{{- end -}}
{{- $names := dict -}}
{{- $jobs := dict -}}
{{- $prefixes := dict -}}
{{- $platform := include "tributary.platformTopics" . | fromYaml -}}
{{- range $i, $p := include "tributary.pipelines" . | fromYamlArray -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$" (toString $p.name)) -}}
{{- fail (printf "pipelines[%d].name %q: expected a DNS label of at most 20 characters (lower-case letters, digits, '-')" $i (toString $p.name)) -}}
{{- end -}}
{{- if hasKey $names $p.name -}}
{{- fail (printf "pipelines[%d].name %q: another pipeline has this name" $i $p.name) -}}
{{- end -}}
{{- $_ := set $names $p.name true -}}
{{- if not (and $p.topics $p.featureJob.entryClass $p.featureJob.jarURI $p.featureJob.topics $p.grants) -}}
{{- fail (printf "pipelines[%d] %q: no topics, grants or feature job (entryClass, jarURI, topics); make the entry from the pipeline's definition with `tributary pipeline helm-values <definition>`" $i $p.name) -}}
{{- end -}}
{{- $job := include "tributary.featureJobName" $p -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$" $job) -}}
{{- fail (printf "pipelines[%d].featureJob.name %q: the feature job names its FlinkDeployment, so expected a DNS label of at most 40 characters (lower-case letters, digits, '-')" $i $job) -}}
{{- end -}}
{{- if hasKey $jobs $job -}}
{{- fail (printf "pipelines[%d].featureJob.name %q: another pipeline's feature job has this name (set it per pipeline, not in pipelineDefaults)" $i $job) -}}
{{- end -}}
{{- $_ := set $jobs $job true -}}
{{- if not (regexMatch "^[A-Za-z0-9._-]*$" (toString $p.topicPrefix)) -}}
{{- fail (printf "pipelines[%d].topicPrefix %q: letters, digits, '.', '_' or '-' only" $i (toString $p.topicPrefix)) -}}
{{- end -}}
{{- if hasKey $prefixes (toString $p.topicPrefix) -}}
{{- fail (printf "pipelines[%d].topicPrefix %q: another pipeline uses it; each pipeline needs its own topics" $i (toString $p.topicPrefix)) -}}
{{- end -}}
{{- $_ := set $prefixes (toString $p.topicPrefix) true -}}
{{- $objects := dict -}}
{{- range $logical, $_ := $platform -}}
{{- $_ := set $objects (include "tributary.topicObjectName" (dict "pipeline" $p "topic" (printf "%s%s" $p.topicPrefix $logical))) $logical -}}
{{- end -}}
{{- range $j, $t := $p.topics -}}
{{- if not (hasPrefix (toString $p.topicPrefix) (toString $t.name)) -}}
{{- fail (printf "pipelines[%d].topics[%d].name %q: not under the pipeline's topicPrefix %q; print the entry again with `tributary pipeline helm-values <definition> --topic-prefix %s`" $i $j (toString $t.name) (toString $p.topicPrefix) (toString $p.topicPrefix)) -}}
{{- end -}}
{{- $object := include "tributary.topicObjectName" (dict "pipeline" $p "topic" $t.name) -}}
{{- if hasKey $objects $object -}}
{{- fail (printf "pipelines[%d].topics[%d].name %q: its KafkaTopic would be %s, as another topic's of the pipeline (%s)" $i $j $t.name $object (index $objects $object)) -}}
{{- end -}}
{{- if or (gt (len $object) 253) (not (regexMatch "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" $object)) -}}
{{- fail (printf "pipelines[%d].topics[%d].name %q: cannot name its KafkaTopic (%s is not a DNS subdomain); rename the topic in the definition" $i $j $t.name $object) -}}
{{- end -}}
{{- $_ := set $objects $object $t.name -}}
{{- end -}}
{{- $features := include "tributary.topicOfRole" (dict "pipeline" $p "role" "features") | fromYaml -}}
{{- if not $features.name -}}
{{- fail (printf "pipelines[%d].topics: no topic of role features, which the scorer reads; make the entry with `tributary pipeline helm-values <definition>`" $i) -}}
{{- end -}}
{{- $max := int (default $features.partitions $p.scorer.maxReplicas) -}}
{{- if gt $max (int $features.partitions) -}}
{{- fail (printf "pipelines[%d].scorer.maxReplicas %d: the features topic has %d partitions, and replicas beyond that would sit idle in the consumer group" $i $max (int $features.partitions)) -}}
{{- end -}}
{{- if gt (int $p.scorer.replicas) $max -}}
{{- fail (printf "pipelines[%d].scorer.replicas %d: more than maxReplicas %d" $i (int $p.scorer.replicas) $max) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.temporal.tls.enabled (not .Values.temporal.tls.secretName) -}}
{{- fail "temporal.tls.secretName: name the Secret with tls.crt and tls.key when temporal.tls.enabled is true" -}}
{{- end -}}
{{- if and (eq .Values.flink.state.kind "objectStore") (not .Values.flink.state.objectStore.url) -}}
{{- fail "flink.state.objectStore.url: set the checkpoint and savepoint URL (e.g. s3://bucket/tributary) when flink.state.kind is objectStore" -}}
{{- end -}}
{{- if not (has .Values.flink.state.kind (list "volume" "objectStore")) -}}
{{- fail (printf "flink.state.kind %q: expected volume or objectStore" .Values.flink.state.kind) -}}
{{- end -}}
{{- if not (has .Values.schemaRegistry.storage.kind (list "mem" "sql")) -}}
{{- fail (printf "schemaRegistry.storage.kind %q: expected mem or sql" .Values.schemaRegistry.storage.kind) -}}
{{- end -}}
{{- if and (eq .Values.schemaRegistry.storage.kind "sql") (not .Values.schemaRegistry.storage.sql.secretName) -}}
{{- fail "schemaRegistry.storage.sql.secretName: name the Secret with the database URL, user and password when storage.kind is sql" -}}
{{- end -}}
{{- end -}}

{{/*
The platform's topics of every prefix, by the name after the prefix, with partitions and topic-level
configs (strings, as Kafka reports them back): the shared model topics apply creates
(platformTopics in src/pipeline-apply/platform-resources.ts, from src/streaming/topic-catalogue.ts)
and the pipeline store (pipelinesTopicSpec in src/pipeline-store/kafka-pipeline-store.ts), which
the chart's principals could not create. min.insync.replicas is added from the replication factor.
*/}}
{{- define "tributary.platformTopics" -}}
models: { partitions: 1, config: { cleanup.policy: compact, min.compaction.lag.ms: "3600000", max.message.bytes: "16777216" } }
model-registry-events: { partitions: 1, config: { cleanup.policy: delete, retention.ms: "-1" } }
deployments: { partitions: 1, config: { cleanup.policy: compact, min.compaction.lag.ms: "3600000" } }
pipelines: { partitions: 1, config: { cleanup.policy: compact, min.compaction.lag.ms: "3600000" } }
{{- end -}}

{{/*
The grants of one role of one pipeline: a list of {operation, resource, name, pattern}, names
already prefixed, each once. The platform's for the pipeline's prefix (the same table as
platformKafkaGrants in src/stack/secure-kafka-acls.ts: the shared topics, the catalogue's scores
and dlq of a model without a pipeline, the pipeline store, and the group and transactional-id
prefixes each role's code uses), then the pipeline's own from its values entry
(pipelineKafkaGrants, which `tributary pipeline helm-values` wrote). READ and WRITE imply DESCRIBE.
Called with (dict "pipeline" $p "role" "scorer").
*/}}
{{- define "tributary.grants" -}}
{{- $p := .pipeline.topicPrefix -}}
{{- $t := dict
  "simulator" (dict)
  "scorer" (dict
    "topicRead" (list "deployments" "models" "model-registry-events" "pipelines")
    "topicWrite" (list "scores" "dlq")
    "groups" (list (printf "%sscorer." $p) (printf "%sdeployments-reader" $p) (printf "%smodel-artifact-reader" $p) (printf "%smodel-registry-reader" $p) (printf "%spipeline-store-reader" $p))
    "transactionalIds" (list (printf "%sscorer." $p)))
  "trainer" (dict
    "topicRead" (list "scores" "models" "model-registry-events" "deployments" "pipelines")
    "topicWrite" (list "models" "model-registry-events" "deployments" "pipelines")
    "groups" (list $p)
    "transactionalIds" (list (printf "%smodel-registry." $p) (printf "%sdeployments." $p) (printf "%spipeline-store." $p)))
  "flink" (dict
    "groups" (list $p)
    "transactionalIds" (list $p))
-}}
{{- $g := index $t .role -}}
{{- $all := list -}}
{{- range $g.topicRead }}{{ $all = append $all (dict "operation" "Read" "resource" "topic" "name" (printf "%s%s" $p .) "pattern" "literal") }}{{ end -}}
{{- range $g.topicWrite }}{{ $all = append $all (dict "operation" "Write" "resource" "topic" "name" (printf "%s%s" $p .) "pattern" "literal") }}{{ end -}}
{{- range $g.groups }}{{ $all = append $all (dict "operation" "Read" "resource" "group" "name" . "pattern" "prefix") }}{{ end -}}
{{- range $g.transactionalIds }}{{ $all = append $all (dict "operation" "Write" "resource" "transactionalId" "name" . "pattern" "prefix") }}{{ end -}}
{{- range (index (.pipeline.grants | default dict) .role | default list) }}{{ $all = append $all . }}{{ end -}}
{{- $seen := dict -}}
{{- range $all }}
{{- $key := printf "%s %s %s %s" .operation .resource .name .pattern }}
{{- if not (hasKey $seen $key) }}
{{- $_ := set $seen $key true }}
- { operation: {{ .operation }}, resource: {{ .resource }}, name: {{ .name | quote }}, pattern: {{ .pattern }} }
{{- end }}
{{- end }}
{{- end -}}

{{/* Volumes and env of the Kafka client settings of one role: (dict "root" $ "pipeline" $p "role" "scorer"). */}}
{{- define "tributary.kafkaEnv" -}}
- name: TRIBUTARY_KAFKA_BROKERS
  value: {{ include "tributary.kafkaBootstrap" .root | quote }}
- name: TRIBUTARY_KAFKA_CLIENT_ID
  value: {{ printf "%s-%s" .pipeline.name .role | quote }}
- name: TRIBUTARY_KAFKA_TLS
  value: "true"
- name: TRIBUTARY_KAFKA_TLS_CA_FILE
  value: /var/run/secrets/tributary/kafka-ca/ca.crt
- name: TRIBUTARY_KAFKA_SASL_MECHANISM
  value: scram-sha-512
- name: TRIBUTARY_KAFKA_SASL_USERNAME
  value: {{ include "tributary.kafkaUser" . | quote }}
- name: TRIBUTARY_KAFKA_SASL_PASSWORD_FILE
  value: /var/run/secrets/tributary/kafka-user/password
- name: TRIBUTARY_SCHEMA_REGISTRY_URL
  value: {{ include "tributary.schemaRegistryUrl" .root | quote }}
- name: TRIBUTARY_TOPIC_PREFIX
  value: {{ .pipeline.topicPrefix | quote }}
{{- end -}}

{{- define "tributary.kafkaVolumeMounts" -}}
- name: kafka-ca
  mountPath: /var/run/secrets/tributary/kafka-ca
  readOnly: true
- name: kafka-user
  mountPath: /var/run/secrets/tributary/kafka-user
  readOnly: true
{{- end -}}

{{/* The Strimzi-written secrets: the cluster CA certificate, and the SCRAM password of the role's KafkaUser. */}}
{{- define "tributary.kafkaVolumes" -}}
- name: kafka-ca
  secret:
    secretName: {{ printf "%s-cluster-ca-cert" .root.Values.kafka.clusterName }}
    items: [{ key: ca.crt, path: ca.crt }]
- name: kafka-user
  secret:
    secretName: {{ include "tributary.kafkaUser" . }}
    items: [{ key: password, path: password }]
{{- end -}}

{{- define "tributary.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tributary.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Temporal's client TLS and API key, as files from Secrets (never arguments or plain env). */}}
{{- define "tributary.temporalTlsEnv" -}}
{{- if .Values.temporal.tls.enabled }}
- name: TRIBUTARY_TEMPORAL_TLS
  value: "true"
- name: TRIBUTARY_TEMPORAL_TLS_CERT_FILE
  value: /var/run/secrets/tributary/temporal-tls/tls.crt
- name: TRIBUTARY_TEMPORAL_TLS_KEY_FILE
  value: /var/run/secrets/tributary/temporal-tls/tls.key
{{- if .Values.temporal.tls.caKey }}
- name: TRIBUTARY_TEMPORAL_TLS_CA_FILE
  value: /var/run/secrets/tributary/temporal-tls/ca.crt
{{- end }}
{{- with .Values.temporal.tls.serverName }}
- name: TRIBUTARY_TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if .Values.temporal.apiKeySecretName }}
- name: TRIBUTARY_TEMPORAL_API_KEY_FILE
  value: /var/run/secrets/tributary/temporal-api-key/api-key
{{- end }}
{{- end -}}

{{- define "tributary.temporalVolumeMounts" -}}
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  mountPath: /var/run/secrets/tributary/temporal-tls
  readOnly: true
{{- end }}
{{- if .Values.temporal.apiKeySecretName }}
- name: temporal-api-key
  mountPath: /var/run/secrets/tributary/temporal-api-key
  readOnly: true
{{- end }}
{{- end -}}

{{- define "tributary.temporalVolumes" -}}
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.secretName }}
    items:
      - { key: tls.crt, path: tls.crt }
      - { key: tls.key, path: tls.key }
      {{- with .Values.temporal.tls.caKey }}
      - { key: {{ . }}, path: ca.crt }
      {{- end }}
{{- end }}
{{- if .Values.temporal.apiKeySecretName }}
- name: temporal-api-key
  secret:
    secretName: {{ .Values.temporal.apiKeySecretName }}
    items: [{ key: api-key, path: api-key }]
{{- end }}
{{- end -}}
