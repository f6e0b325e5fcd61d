export * from './services';
export { trainedRegistry, trainFresh, ONLINE_RETAIL_FILE } from './trainedRegistry';
export { startStack, type Stack, type StackOptions, type GraphQLBody } from './stack';
export { startCatalogueSubgraph, CATALOGUE_SDL, type CatalogueSubgraph } from './catalogueSubgraph';
export {
  simulateShoppers,
  type SimulationOptions,
  type SimulationReport,
  type SimulationTarget,
  type ServedVariant,
} from './simulateShoppers';
export { startKafka, testKafka, assertKafkaInstalled, KAFKA_INSTALL_HINT, type KafkaHandle } from './kafka';
export { cliProblems, type CliCase } from './cliProblems';
export { freePort } from './childProcess';
