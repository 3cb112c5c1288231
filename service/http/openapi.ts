// The OpenAPI document of the REST mirror, generated from the procedures' own meta and zod
// schemas (trpc-to-openapi), so the document and the routes cannot drift apart.
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { appRouter } from '../routers/_app';
import { restRouter } from '../routers/rest';
import { router } from '../trpc';

export const REST_PREFIX = '/api/credentials';

/** Every procedure with a REST path: the tRPC ones whose shapes match, and the REST adapters. */
export const openApiRouter = router({ app: appRouter, rest: restRouter });

let cached: OpenAPIObject | undefined;

export function openApiDocument(): OpenAPIObject {
  cached ??= generateOpenApiDocument(openApiRouter, {
    title: 'XaresAICoder Credentials',
    description:
      'REST mirror of the tRPC service at /trpc. Every operation needs Authorization: Bearer <session token> (sign in with the tRPC procedure auth.login).',
    version: '0.1.0',
    baseUrl: REST_PREFIX,
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  });
  return cached;
}
