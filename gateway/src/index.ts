export { Gateway, type GatewayOptions } from './Gateway';
export { readGatewayConfig, parseApiKeys, type GatewayConfig, type ApiKeyEntry } from './config';
export { signUserToken, verifyUserToken, TokenError } from './auth/jwt';
export { createAuthenticator } from './auth/authenticate';
export { DocumentLimits, enforceLimits, operationDepth, aliasCount, type LimitOptions } from './limits';
