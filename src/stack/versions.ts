/**
 * Every pinned version of the local stack, in one place. Changing one here changes what
 * `tributary stack up` installs (into a new folder of the cache, so versions never mix).
 */
export const STACK_VERSIONS = {
  /** Temporal CLI with the dev server and Web UI; v1.5.x is the last `go install`-able line. */
  temporalCli: '1.5.1',
  /** Apache Kafka broker (KRaft), from Maven Central. */
  kafka: '4.1.1',
  /** SLF4J 1.x binding for the broker's log4j2 logging (the pom does not carry one). */
  log4j: '2.24.3',
  /** Apicurio Registry, served with its Confluent-compatible API. */
  apicurioRegistry: '3.0.9',
  /** Apache Flink distribution, assembled from PyPI's apache-flink and apache-flink-libraries wheels. */
  flink: '2.2.1',
  /** Flink's Kafka SQL connector built for the Flink line above. */
  flinkKafkaConnector: '5.0.0-2.2',
  /** Avro + Confluent-registry format; Maven Central has no 2.2.1, 2.2.0 is the newest of the 2.2 line. */
  flinkAvroConfluentRegistry: '2.2.0',
} as const;
