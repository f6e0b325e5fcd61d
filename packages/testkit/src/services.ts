export { startRedis, testRedis, unlinkPrefix, type RedisHandle } from './redis';
export { startNeo4j, testNeo4j, type Neo4jHandle } from './neo4j';
export { startRedisCluster, type RedisClusterHandle, type StartRedisClusterOptions } from './redisCluster';
export { askedThrice } from './thrice';
export { injectGraphQL } from './injectGraphQL';
