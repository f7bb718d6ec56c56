// A small OpenID Provider for the gateway's tests: the npm package
// oidc-provider (a certified OpenID Provider implementation), on a
// loopback port, with the client_credentials grant, JWT access tokens for
// one resource server, opaque ones otherwise, and the introspection and
// revocation endpoints.
//
// Environment: PORT, KID (the signing key's id; a new KID is a new key,
// which is how the tests rotate keys), TTL_SHORT (seconds an access token
// of client "short" lives).
//
// Besides the provider's own routes it serves GET /test/counts: how many
// requests each path received since start (JSON), so tests count the
// gateway's calls at the provider itself.
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: process.env.KID || 'key-1', use: 'sig', alg: 'RS256' };
const short = Number(process.env.TTL_SHORT || '2');

const client = (id, extra = {}) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'read write',
  ...extra,
});

const provider = new Provider(issuer, {
  clients: [client('gateway'), client('app'), client('short')],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'read', 'write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource !== 'https://api.example') throw new Provider.errors.InvalidTarget();
        return { scope: 'read write', audience: 'https://api.example', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  extraTokenClaims: async () => ({ tenant: 'acme' }),
  ttl: { ClientCredentials: (_ctx, _token, c) => (c.clientId === 'short' ? short : 600) },
});

const counts = {};
provider.use(async (ctx, next) => {
  if (ctx.path === '/test/counts') {
    ctx.body = counts;
    return;
  }
  counts[ctx.path] = (counts[ctx.path] || 0) + 1;
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
